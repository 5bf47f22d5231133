#!/usr/bin/env bash
# Runs every benchmark; installs the load generator if missing.
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
for b in w*.sh; do
    echo "== $b"
    bash "$b"
done
