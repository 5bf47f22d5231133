#!/usr/bin/env bash
# Runs every benchmark; installs the load generator if missing.
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
# w*.sh: W1, W2, W4, W5 (fan-out against nchan); then the IM round trip
for b in w*.sh im-roundtrip.sh; do
    echo "== $b"
    bash "$b"
done
