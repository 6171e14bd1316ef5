#!/usr/bin/env bash
# Records every public symbol the compiler reports as undeclared (RS0016) in the project's PublicAPI.Unshipped.txt,
# and drops the declared ones that no longer exist (RS0017).
# PROJECTS="src/..." limits it to some projects.
# Run after a deliberate change to the public surface; review the diff like any other change.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in ${PROJECTS:-src/Autotask.Integration.Abstractions src/Autotask.Integration src/Autotask.Integration.Testing src/Autotask.Integration.Sqlite src/Autotask.Integration.PostgreSql src/Autotask.Integration.Redis}; do
  log=$(mktemp)
  name=$(basename "$project")
  dotnet build "$project" -f net10.0 --no-incremental -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true
  file="$project/PublicAPI.Unshipped.txt"
  grep "/$name.csproj" "$log" | grep -oE "RS0017: Symbol '.*' is part of the declared API" \
    | sed -E "s/^RS0017: Symbol '(.*)' is part of the declared API$/\1/" | sort -u > "$file.gone" || true
  {
    grep -v '^#nullable enable$' "$file" | grep -vxF -f "$file.gone" || true
    grep "/$name.csproj" "$log" | grep -oE "RS0016: Symbol '.*' is not part of the declared public API" \
      | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" || true
  } | sort -u > "$file.new"
  { echo '#nullable enable'; cat "$file.new"; } > "$file"
  rm -f "$file.new" "$file.gone" "$log"
  echo "$file: $(($(wc -l < "$file") - 1)) symbols"
done
