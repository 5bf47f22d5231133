#!/usr/bin/env bash
# Runs every benchmark; installs the load generators if missing (wrk;
# h2load from nghttp2-client for W7, bench/w7-push.sh).
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
command -v h2load >/dev/null \
    || { apt-get install -y -qq nghttp2-client >/dev/null; }
# w*.sh: W1, W2, W4, W5 (fan-out against nchan), W7 (push); then the IM
# round trip.  W6, the 30-min soak (w6-soak.sh), only with BENCH_SOAK=1.
for b in w*.sh im-roundtrip.sh; do
    if [ "$b" = w6-soak.sh ] && [ -z "${BENCH_SOAK:-}" ]; then
        continue
    fi
    echo "== $b"
    bash "$b"
done
