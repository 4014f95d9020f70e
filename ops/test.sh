#!/usr/bin/env bash
# Installs what the tests need and runs every test. This is the README's test command and what CI runs.
# A fresh machine needs only the .NET SDK: the embedded backends (SQLite with FTS5) come as NuGet packages.
# Later suites that need servers (PostgreSQL, Redis, Kafka's mock cluster, Chromium) add their Debian
# packages to DEBIAN_PACKAGES below; the script installs them when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=()
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

echo "== dotnet $(dotnet --version)"
dotnet restore DataHub.sln
dotnet build DataHub.sln --no-restore -c Release
dotnet test DataHub.sln --no-build -c Release --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
