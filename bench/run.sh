#!/usr/bin/env bash
# Runs every benchmark; installs the load generators if missing (wrk;
# h2load from nghttp2-client for W7, bench/w7-push.sh).
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
command -v h2load >/dev/null \
    || { apt-get install -y -qq nghttp2-client >/dev/null; }
for b in w*.sh; do
    echo "== $b"
    bash "$b"
done
