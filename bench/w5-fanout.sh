#!/usr/bin/env bash
# W5 (guides/performance.md §6): one presence change fanned out to M
# parked watchers (M = 80, 1 000, 10 000), against nchan publishing one
# message of the same size to as many long-poll subscribers, same nginx
# binary, same run, alternating rounds, a fresh nginx for each.
#
# SUT: M UCWA applications (10 per user) each hold a presence
# subscription to one publisher user (one publisher per M, so that a
# change reaches exactly M applications) and park GET .../events?ack=N;
# the publisher's application POSTs me/presence (Busy / Online
# alternating); a watcher counts when its P-GET answers with the
# contactPresence event and re-issues its P-GET at once.  Baseline: nchan
# long-poll, the same request line and headers mapped to one channel, a
# publish of as many bytes as the SUT's package.  2 workers, listen
# reuseport, watchers from W5_SRC loopback source addresses, one harness
# process (bench/ucwa_client.c fanout).
#
# Latency: from just before the publishing request is written to when a
# watcher has read its whole response (CLOCK_MONOTONIC).  Per publish:
# p50, p99 and time-to-last over the M watchers, loss (watchers without
# their delivery 30 s + M ms after the hold), duplicates.  UCWA delivers
# contactPresence as a medium-urgency event (spec: "Medium = ... contact
# presence"), held up to the channel's `medium` time (5 s, the minimum):
# the SUT's figures are therefore also reported minus the 5 000 ms hold
# ("after hold"), which is what compares with nchan's immediate publish.
#
# CPUs (guides/performance.md, side-by-side method): both systems' nginx
# workers on CPU 1 (worker_cpu_affinity), the harness on CPU 0 (taskset),
# so that neither system gets the scheduler's accidental spread over both
# CPUs; W5_PIN=0 leaves placement to the scheduler.
#
# Knobs: W5_M ("80 1000 10000"), W5_ROUNDS (3 per M, SUT and nchan
# alternating), W5_PUBLISHES (5 per round), W5_SRC (4), W5_PIN (1),
# W5_PORT (18231; nchan uses W5_PORT + 1), W5_DURABILITY (full |
# nometasync | relaxed), W5_RELEASES (with full: releases=sync | nosync
# of mobility_store; unset: the build's default, for builds without it).
# Raw numbers: bench/results/w5/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

ms=${W5_M:-80 1000 10000}
w5_rounds=${W5_ROUNDS:-3}
publishes=${W5_PUBLISHES:-5}
nsrc=${W5_SRC:-4}
pin=${W5_PIN:-1}
sut_port=${W5_PORT:-18231}
nchan_port=$((sut_port + 1))
durability=${W5_DURABILITY:-full}
nchan_so=/usr/lib/nginx/modules/ngx_nchan_module.so

if [ ! -f "$nchan_so" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-nchan >/dev/null
fi

out=$(bench_dir w5)
build_client
mkdir -p "$out/sut" "$out/nchan"

max=0
npub=0
for m in $ms; do
    [ "$m" -gt "$max" ] && max=$m
    npub=$((npub + 1))
done
users=$(( (max + 9) / 10 ))

# ---------------------------------------------------------------- setup

t=$(now)
store_init 1024m
provision_users 1 "$users"
provision_users 900001 "$npub"

sut_conf() {
    cat > "$out/sut/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log $out/sut/error.log warn;
pid $out/sut/nginx.pid;
mobility_store $out/store size=1024m$1;
thread_pool default threads=2;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1d;
    server {
        listen 127.0.0.1:$sut_port reuseport backlog=4096;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
        location = /status { stub_status; }
    }
}
CONF
}

sut_conf " durability=relaxed flush=1s"
nginx_start "$out/sut"
trap 'nginx_stop "$out/sut"; nginx_stop "$out/nchan"' EXIT
wait_workers "$out/sut" 2
"$client" tokens "$sut_port" 16 "$out/users-1.txt" "$password" > "$out/tokens.txt"
"$client" tokens "$sut_port" 4 "$out/users-900001.txt" "$password" > "$out/tokens-pub.txt"
"$client" create "$sut_port" 16 "$out/tokens.txt" 10 | head -n "$max" > "$out/apps.txt"
[ "$(wc -l < "$out/apps.txt")" -eq "$max" ]

# one publisher per M: its application signs in; the first M watcher
# applications subscribe to it (duration 30 min, the maximum)
j=0
for m in $ms; do
    j=$((j + 1))
    sed -n "${j}p" "$out/tokens-pub.txt" | cut -d' ' -f1 > "$out/pub-$m.sip"
    sed -n "${j}p" "$out/tokens-pub.txt" > "$out/pub-$m.tok"
    "$client" create "$sut_port" 1 "$out/pub-$m.tok" 1 > "$out/pub-$m.txt"
    "$client" call "$sut_port" 1 "$out/pub-$m.txt" POST /me/makeMeAvailable \
        '{"SignInAs":"Online","SupportedModalities":["Messaging"]}' \
        | grep -q '^204 1$'
    head -n "$m" "$out/apps.txt" > "$out/watchers-$m.txt"
    "$client" call "$sut_port" 16 "$out/watchers-$m.txt" POST \
        /people/presenceSubscriptions \
        "{\"duration\":30,\"uris\":[\"sip:$(cat "$out/pub-$m.sip")\"]}" \
        > "$out/subscribe-$m.txt"
    grep -q "^201 $m\$" "$out/subscribe-$m.txt" \
        || { echo "subscriptions for M=$m:" >&2; cat "$out/subscribe-$m.txt" >&2; exit 1; }
done
nginx_stop "$out/sut"
t_subscribed=$(date +%s)
echo "W5 setup: $users users, $max watcher applications, $npub publishers," \
     "subscriptions in $(elapsed "$t")s" | tee "$out/setup.txt"

# the measured configuration
case $durability in
full) sut_conf "${W5_RELEASES:+ releases=$W5_RELEASES}" ;;
nometasync) sut_conf " durability=nometasync" ;;
relaxed) sut_conf " durability=relaxed flush=1s" ;;
*) echo "W5_DURABILITY: full, nometasync or relaxed" >&2; exit 1 ;;
esac
sed -i -e '/oauthtoken/d' -e '/thread_pool/d' "$out/sut/nginx.conf"
affinity=
harness_cpu=()
if [ "$pin" = 1 ]; then
    affinity="worker_cpu_affinity 10 10;"
    harness_cpu=(taskset -c 0)
    sed -i "s/^worker_rlimit_nofile 20000;\$/&\n$affinity/" "$out/sut/nginx.conf"
fi

cat > "$out/nchan/nginx.conf" <<CONF
load_module $nchan_so;
worker_processes 2;
worker_rlimit_nofile 20000;
$affinity
error_log $out/nchan/error.log warn;
pid $out/nchan/nginx.pid;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$nchan_port reuseport backlog=4096;
        # the P-GET's path; every watcher on one channel
        location ~ ^/ucwa/oauth/v1/applications/[^/]+/events\$ {
            nchan_subscriber longpoll;
            nchan_channel_id w5;
            nchan_subscriber_timeout 1800s;
        }
        location = /pub/w5 {
            nchan_publisher;
            nchan_channel_id w5;
        }
        location = /status { stub_status; }
    }
}
CONF

# ------------------------------------------------------------- measure

bytes=700

# measure NAME PORT M ROUND: one harness run of $publishes publishes
measure() {
    local name=$1 port=$2 m=$3 round=$4 dir="$out/$1" mode=ucwa
    [ "$name" = nchan ] && mode=nchan
    nginx_start "$dir"
    wait_workers "$dir" 2
    sleep 0.5
    echo "load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    # the harness reads the workers' CPU time around each publish
    W5_PIDS=$(workers "$dir" | paste -sd' ') \
    "${harness_cpu[@]}" "$client" fanout "$port" "$nsrc" "$mode" \
        "$out/watchers-$m.txt" "$m" \
        "$publishes" "$out/pub-$m.txt" "$out/raw-$name-$m.txt" "$bytes" \
        2> "$dir/harness-$m-$round.err" \
        | sed "s/^/$name $round /" | tee -a "$out/rounds.txt" \
        | awk '/ round / { printf "  %s %s publish %s: delivered %s lost %s dup %s, p50 %s ms, p99 %s ms, last %s ms (publisher HTTP %s)\n", $1, $2, $4, $8, $10, $12, $22, $24, $26, $18 }'
    nginx_stop "$dir"
    if [ "$name" = sut ]; then
        # nchan publishes as many bytes as the SUT's packages had
        bytes=$(awk '$1 == "sut" && / round / { b = $28 } END { print b + 0 }' "$out/rounds.txt")
        [ "$bytes" -ge 32 ] || bytes=700
    fi
}

echo "W5: M in ($ms), 2 workers, $nsrc source addresses, $w5_rounds rounds of" \
     "$publishes publishes per system and M (SUT and nchan alternating)," \
     "durability=$durability${W5_RELEASES:+ releases=$W5_RELEASES}," \
     "$([ "$pin" = 1 ] && echo "workers on CPU 1, harness on CPU 0" || echo "not pinned")"
: > "$out/rounds.txt"
: > "$out/load.txt"
for m in $ms; do
    for r in $(seq 1 "$w5_rounds"); do
        echo "M=$m round $r"
        if [ $((r % 2)) -eq 1 ]; then
            measure sut "$sut_port" "$m" "$r"; measure nchan "$nchan_port" "$m" "$r"
        else
            measure nchan "$nchan_port" "$m" "$r"; measure sut "$sut_port" "$m" "$r"
        fi
    done
done
if [ $(( $(date +%s) - t_subscribed )) -ge 1800 ]; then
    echo "W5: WARNING: the run took longer than the 30 min subscriptions" >&2
fi

python3 - "$out" "$bytes" <<'PY' | tee "$out/summary.txt"
import collections, statistics, sys
out, nbytes = sys.argv[1], sys.argv[2]
rows = collections.defaultdict(list)      # (system, m) -> per-publish dicts
for line in open(f"{out}/rounds.txt"):
    f = line.split()
    if len(f) < 4 or f[2] != "round":
        continue
    d = dict(zip(f[2::2], f[3::2]))
    rows[(f[0], int(d["m"]))].append(d)
raw = collections.defaultdict(list)
for name in ("sut", "nchan"):
    import glob
    for p in glob.glob(f"{out}/raw-{name}-*.txt"):
        for l in open(p):
            _, m, _, us = l.split()
            raw[(name, int(m))].append(float(us) / 1000)
load = [float(l.split()[1]) for l in open(f"{out}/load.txt")]
med = statistics.median
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
hold = 5000.0
print(f"W5: nchan message {nbytes} bytes (the SUT's package); 1-min load "
      f"average at the start of the measurements {min(load):.2f}-{max(load):.2f}")
for m in sorted({k[1] for k in rows}):
    res = {}
    for s in ("sut", "nchan"):
        R = rows[(s, m)]
        if not R:
            continue
        h = hold if s == "sut" else 0.0
        last = [float(d["last_ms"]) - h for d in R]
        res[s] = {
            "n": len(R),
            "lost": sum(int(d["lost"]) for d in R),
            "dup": sum(int(d["dup"]) for d in R),
            "bad": sum(int(d["bad"]) for d in R),
            "p50": pct(raw[(s, m)], .5) - h, "p99": pct(raw[(s, m)], .99) - h,
            "last": med(last), "last_min": min(last), "last_max": max(last),
        }
        v = res[s]
        tag = " after the 5 s hold" if s == "sut" else ""
        print(f"W5 M={m:5d} {s:5s}: {v['n']} publishes, lost {v['lost']}, dup {v['dup']}, "
              f"bad {v['bad']}; all deliveries{tag}: p50 {v['p50']:.3f} ms, "
              f"p99 {v['p99']:.3f} ms; time-to-last median {v['last']:.3f} ms "
              f"(min {v['last_min']:.3f}, max {v['last_max']:.3f})")
    if "sut" in res and "nchan" in res:
        s, c = res["sut"], res["nchan"]
        ratio = s["last"] / c["last"] if c["last"] > 0 else float("inf")
        print(f"W5 M={m:5d} ratio: time-to-last after the hold {ratio:.2f}x nchan "
              f"(target <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'}); "
              f"end to end incl. the hold: p99 {s['p99'] + hold:.1f} ms, "
              f"last {s['last'] + hold:.1f} ms")
        # nginx CPU per delivery: the workers' CPU from the publish to
        # 100 ms after the last delivery (the publish request, the hold's
        # idle timers, the answers and the re-parks), over M
        cs = med(float(d.get("cpu_us", "nan")) / m for d in rows[("sut", m)])
        cc = med(float(d.get("cpu_us", "nan")) / m for d in rows[("nchan", m)])
        print(f"W5 M={m:5d} nginx CPU per delivery (publish, answer, re-park): "
              f"SUT {cs:.1f} us, nchan {cc:.1f} us, {cs / cc:.2f}x")
        if m == 80:
            print(f"W5 M=80 p99 after the hold {s['p99']:.3f} ms (target <= 5 ms: "
                  f"{'met' if s['p99'] <= 5 else 'NOT met'}); end to end "
                  f"{s['p99'] + hold:.1f} ms (the protocol's medium hold)")
        if s["lost"] or s["dup"] or c["lost"] or c["dup"]:
            print(f"W5 M={m:5d}: LOSS or DUPLICATES (see rounds.txt)")
PY
