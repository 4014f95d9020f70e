#!/usr/bin/env bash
# The main job on the embedded backends (same as the README's run command).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project hub/DataHub -c Release -- demo "$@"
