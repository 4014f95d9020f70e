#!/usr/bin/env bash
# Installs what the tests need and runs every test. This is the README's test command and what CI runs.
# A fresh machine needs only the .NET SDK: the embedded backends (SQLite with FTS5) come as NuGet packages,
# and the Debian packages the suites need (independent clients, servers) are listed in DEBIAN_PACKAGES
# below; the script installs the missing ones.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-grpcio, python3-protobuf, protobuf-compiler, libprotobuf-dev: the gRPC interop suite (an independent client);
# nghttp2-client: h2load for `datahub bench grpc`; chromium and fonts-wqy-zenhei: the console's browser tests
# (a CJK font, or Chinese renders as empty boxes in the screenshots); librdkafka1 and librdkafka-dev: the Kafka
# client's native library and its mock cluster (the test broker); kcat: an independent Kafka client.
DEBIAN_PACKAGES=(python3-grpcio python3-protobuf protobuf-compiler libprotobuf-dev nghttp2-client chromium fonts-wqy-zenhei librdkafka1 librdkafka-dev kcat)
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
# One test project at a time: the browser and served-hub tests time out under the CPU load of the adapter suites running beside them on 2 cores.
rm -rf artifacts/test-results
status=0
dotnet test DataHub.sln --no-build -c Release -m:1 --logger "console;verbosity=normal" --logger trx --results-directory artifacts/test-results "$@" || status=$?
# The console output is long; the failures are repeated last, where a truncated log still shows them.
python3 ops/test-summary.py artifacts/test-results
exit $status
