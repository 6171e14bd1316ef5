#!/usr/bin/env bash
# Runs the whole test suite on net8.0: the tests, the samples they run and the sync worker are built for net8.0
# against the libraries' net8.0 build and its 8.x dependencies, self-contained, so the .NET 8 runtime comes from
# NuGet (the machine needs only the .NET 10 SDK). `dotnet test` would start the tests through the installed dotnet
# host, which has no .NET 8 runtime, so the self-contained test executable is run directly.
# Usage: bash eng/test-net8.sh [xunit runner options, e.g. -class "*WebhookTests"]
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
if ! dotnet build tests/Autotask.Integration.Tests -c Release -p:AutotaskTestFramework=net8.0 -r linux-x64 --self-contained -nologo > "$log" 2>&1; then
  grep -E "error" "$log" | sort -u | head -50
  echo "the net8.0 build failed"
  exit 1
fi
exec tests/Autotask.Integration.Tests/bin/Release/net8.0/linux-x64/Autotask.Integration.Tests -noColor "$@"
