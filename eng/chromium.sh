#!/usr/bin/env bash
# Makes sure headless Chromium and its ChromeDriver are on this machine for the portal's browser tests, and prints
# the two paths (browser, then driver) on its last two lines.
# Installs Debian's chromium and chromium-driver packages when they are missing (needs root, as in CI).
set -euo pipefail

if ! command -v chromium > /dev/null 2>&1 || ! command -v chromedriver > /dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium or chromedriver is missing; install them with: sudo apt-get install -y chromium chromium-driver" >&2
    exit 1
  fi
  echo "installing chromium and chromium-driver from Debian's packages" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
fi

command -v chromium
command -v chromedriver
