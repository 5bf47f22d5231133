#!/usr/bin/env bash
# IM round trip (issue #5; guides/performance.md W5/W6): two applications
# of two users in a two-party conversation, each side's P-GET and its
# command connection on a different worker than the other side's, so
# every message crosses workers.  Closed loop per conversation ("lane"):
# A POSTs a message, B's P-GET delivers it (one-way), B replies at once,
# A's P-GET delivers the reply (round trip).  Every message is checked:
# delivered exactly once to the other side (5 s limit), in order.
#
# Reported per lane count (IM_LANES, default "1 8 32"): round-trip and
# one-way p50/p99, messages/s delivered (both directions), loss and
# duplicates.  Lanes 1 is the unloaded latency; the highest rate with
# zero loss is the sustained figure.  No baseline exists (nchan has no
# conversations); compare with W6's IM p99 target (<= 100 ms).
#
# Which worker serves a connection is learnt from an access log with $pid
# (GET /probe per connection, as in wake-latency.sh); only /probe is
# logged.
#
# Knobs: IM_LANES ("1 8 32"), IM_DURATION (20 s per lane count), IM_PORT
# (18241), IM_DURABILITY (full | nometasync | relaxed).
# Raw numbers: bench/results/im/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

lanes_list=${IM_LANES:-1 8 32}
dur=${IM_DURATION:-20}
port=${IM_PORT:-18241}
durability=${IM_DURABILITY:-full}

out=$(bench_dir im)
build_client

maxl=0
for l in $lanes_list; do [ "$l" -gt "$maxl" ] && maxl=$l; done

# ---------------------------------------------------------------- setup

t=$(now)
store_init 1024m
provision_users 700001 "$maxl"      # side A
provision_users 710001 "$maxl"      # side B

conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=1024m$1;
thread_pool default threads=2;
events { worker_connections 4096; }
http {
    log_format probe '\$pid \$msec \$request_uri';
    access_log off;
    keepalive_requests 1000000;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1d;
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
        location = /status { stub_status; }
        location = /probe { access_log $out/logs/access.log probe; return 204; }
    }
}
CONF
}

conf " durability=relaxed flush=1s"
nginx_start "$out"
trap 'nginx_stop "$out"' EXIT
wait_workers "$out" 2
for side in 700001 710001; do
    "$client" tokens "$port" 8 "$out/users-$side.txt" "$password" > "$out/tokens-$side.txt"
    "$client" create "$port" 8 "$out/tokens-$side.txt" 1 > "$out/apps-$side.txt"
    "$client" call "$port" 8 "$out/apps-$side.txt" POST /me/makeMeAvailable \
        '{"SignInAs":"Online","SupportedModalities":["Messaging"]}' > "$out/mma-$side.txt"
    grep -q "^204 $maxl\$" "$out/mma-$side.txt"
done
nginx_stop "$out"

# pairs: user700000+k (A) with user710000+k (B): "hrefA tokenA hrefB tokenB sipB"
python3 - "$out" "$maxl" > "$out/pairs.txt" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
def side(s):
    sip = dict(reversed(l.split()) for l in open(f"{out}/tokens-{s}.txt"))
    return {sip[t]: (h, t) for h, t in (l.split() for l in open(f"{out}/apps-{s}.txt"))}
a, b = side(700001), side(710001)
for k in range(n):
    sa, sb = f"user{700001 + k:06d}@contoso.com", f"user{710001 + k:06d}@contoso.com"
    print(*a[sa], *b[sb], sb)
PY
echo "IM setup: $((2 * maxl)) users and applications in $(elapsed "$t")s" | tee "$out/setup.txt"

# ------------------------------------------------------------- measure

case $durability in
full) conf "" ;;
nometasync) conf " durability=nometasync" ;;
relaxed) conf " durability=relaxed flush=1s" ;;
*) echo "IM_DURABILITY: full, nometasync or relaxed" >&2; exit 1 ;;
esac
sed -i -e '/oauthtoken/d' -e '/thread_pool/d' "$out/nginx.conf"

echo "IM: lanes ($lanes_list), ${dur}s each, 2 workers, durability=$durability"
: > "$out/load.txt"
for l in $lanes_list; do
    # a fresh nginx and fresh conversations for each lane count
    nginx_start "$out"
    wait_workers "$out" 2
    echo "$l $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    "$client" im "$port" "$out/logs/access.log" "$out/pairs.txt" "$l" "$dur" \
        > "$out/im-$l.txt" 2> "$out/im-$l.err"
    nginx_stop "$out"
    tail -n 1 "$out/im-$l.txt"
done

python3 - "$out" $lanes_list <<'PY' | tee "$out/summary.txt"
import sys
out, lanes = sys.argv[1], sys.argv[2:]
load = {l.split()[0]: l.split()[1] for l in open(f"{out}/load.txt")}
def pct(v, p):
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
best = None
for l in lanes:
    lines = open(f"{out}/im-{l}.txt").read().split("\n")
    rtt = sorted(float(x.split()[1]) / 1000 for x in lines if x.startswith("rtt "))
    one = sorted(float(x.split()[2]) / 1000 for x in lines if x.startswith("rtt "))
    s = dict(zip(*[iter(next(x for x in lines if x.startswith("im ")).split()[1:])] * 2))
    rate = int(s["delivered"]) / float(s["seconds"])
    ok = s["lost"] == "0" and s["dup"] == "0" and s["bad"] == "0"
    print(f"IM lanes {int(l):3d}: {s['delivered']} messages delivered of {s['sent']} in "
          f"{float(s['seconds']):.1f}s = {rate:.0f} messages/s, lost {s['lost']}, dup {s['dup']}, "
          f"bad {s['bad']}; round trip p50 {pct(rtt, .5):.3f} ms, p99 {pct(rtt, .99):.3f} ms, "
          f"max {rtt[-1] if rtt else float('nan'):.3f} ms; one-way p50 {pct(one, .5):.3f} ms, "
          f"p99 {pct(one, .99):.3f} ms (load average {load.get(l, '?')})")
    if ok and (best is None or rate > best[1]):
        best = (l, rate, pct(rtt, .99))
if best:
    print(f"IM: sustained {best[1]:.0f} messages/s with zero loss ({best[0]} lanes, "
          f"round-trip p99 {best[2]:.3f} ms)")
else:
    print("IM: no lane count without loss")
PY
