#!/usr/bin/env bash
# W4 (guides/performance.md): W4_N parked P-GETs (default 10 000; UCWA
# GET .../events?ack=1, one application each, 2 workers, listen reuseport,
# clients from W4_SRC loopback addresses 127.0.0.2...) against as many
# nchan long-poll subscribers (one channel each, the same request line and
# headers; libnginx-mod-nchan, loaded only in the baseline config), same
# nginx binary, same run, alternating rounds, a fresh nginx for each.
#
# Reported per system: user-space bytes per parked request (sum over the
# workers of the VmRSS delta / N; also Pss from smaps_rollup and the
# anonymous / file / shmem parts), the idle CPU of each worker over
# W4_IDLE seconds while parked (/proc/<pid>/stat and schedstat), the time
# to park N, kernel slab per connection (system-wide, both socket ends).
# Targets: <= 1.0x nchan's bytes per subscriber and <= 16 KB each.
#
# Knobs: W4_N (10000), W4_ROUNDS (2), W4_IDLE (10 s), W4_SRC (4), W4_PORT
# (18211; nchan uses W4_PORT + 1),
# W4_SETTLE (2 s).  Raw numbers: bench/results/w4/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

n=${W4_N:-10000}
w4_rounds=${W4_ROUNDS:-2}
idle=${W4_IDLE:-10}
nsrc=${W4_SRC:-4}
settle=${W4_SETTLE:-2}
per_user=10
users=$(( (n + per_user - 1) / per_user ))
sut_port=${W4_PORT:-18211}
nchan_port=$((sut_port + 1))
nchan_so=/usr/lib/nginx/modules/ngx_nchan_module.so

if [ ! -f "$nchan_so" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-nchan >/dev/null
fi

out=$(bench_dir w4)
build_client
mkdir -p "$out/sut" "$out/nchan"

# ---------------------------------------------------------------- setup

t=$(now)
store_init 1024m
provision_users 1 "$users"

cat > "$out/sut/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log $out/sut/error.log warn;
pid $out/sut/nginx.pid;
mobility_store $out/store size=1024m durability=relaxed flush=1s;
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
nginx_start "$out/sut"
trap 'nginx_stop "$out/sut"; nginx_stop "$out/nchan"' EXIT
wait_workers "$out/sut" 2
"$client" tokens "$sut_port" 16 "$out/users-1.txt" "$password" > "$out/tokens.txt"
"$client" create "$sut_port" 16 "$out/tokens.txt" "$per_user" \
    | head -n "$n" > "$out/apps.txt"
nginx_stop "$out/sut"
echo "W4 setup: $users users, $(wc -l < "$out/apps.txt") applications in $(elapsed "$t")s" \
    | tee "$out/setup.txt"

# the measured configuration: durability=full, no token endpoint
sed -i -e 's/ durability=relaxed flush=1s//' \
       -e '/oauthtoken/d' -e '/thread_pool/d' "$out/sut/nginx.conf"

cat > "$out/nchan/nginx.conf" <<CONF
load_module $nchan_so;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log $out/nchan/error.log warn;
pid $out/nchan/nginx.pid;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$nchan_port reuseport backlog=4096;
        # the P-GET's path: one channel per application
        location ~ ^/ucwa/oauth/v1/applications/([^/]+)/events\$ {
            nchan_subscriber longpoll;
            nchan_channel_id \$1;
            nchan_subscriber_timeout 180s;
        }
        location ~ ^/pub/(.+)\$ {
            nchan_publisher;
            nchan_channel_id \$1;
        }
        location = /status { stub_status; }
    }
}
CONF

# ------------------------------------------------------------- measure

# measure NAME PORT: one round; appends a JSON line to $out/raw.jsonl
measure() {
    local name=$1 port=$2 dir="$out/$1" pids t0 t_park t_send w i answered closed
    nginx_start "$dir"
    wait_workers "$dir" 2
    pids=$(workers "$dir" | tr '\n' ' ')
    sleep 1
    # before: a fresh nginx after 1 s of idle; what the first requests
    # initialise (store pages, per-worker state) is charged to the N
    # parked requests
    proc_snapshot $pids > "$dir/before.json"

    t0=$(now)
    coproc PARK { "$client" park "$port" "$nsrc" "$out/apps.txt" "$n" 2>"$dir/park.err"; }
    local park_out=${PARK[0]} park_in=${PARK[1]} park_pid=$PARK_PID
    read -r _ _ t_send <&"$park_out"
    # wait until every request is held (stub_status counts them as Writing)
    for i in $(seq 1 $((300 + n / 20))); do
        w=$(stub_writing "$port")
        [ "${w:-0}" -gt "$n" ] && break
        sleep 0.1
    done
    t_park=$(elapsed "$t0")
    sleep "$settle"
    proc_snapshot $pids > "$dir/after.json"
    sleep "$idle"
    proc_snapshot $pids > "$dir/idle.json"
    w=$(stub_writing "$port")
    # closing the client's standard input ends it
    eval "exec $park_in>&-"
    read -r _ answered _ closed <&"$park_out" || true
    wait "$park_pid" 2>/dev/null || true
    nginx_stop "$dir"

    python3 - "$name" "$n" "$idle" "$t_send" "$t_park" "$w" "${answered:-?}" \
        "${closed:-?}" "$dir/before.json" "$dir/after.json" "$dir/idle.json" \
        >> "$out/raw.jsonl" <<'PY'
import json, sys
name, n, idle, t_send, t_park, writing, answered, closed = sys.argv[1:9]
n, idle = int(n), float(idle)
b, a, i = (json.load(open(p)) for p in sys.argv[9:12])
pids = [p for p in b if p.isdigit()]
def d(key, x=b, y=a):
    return sum(y[p].get(key, 0) - x[p].get(key, 0) for p in pids)
hz = 100
print(json.dumps({
    "system": name, "n": n,
    "send_s": float(t_send), "park_s": float(t_park),
    "held_at_end": int(writing) - 1, "answered": answered, "closed": closed,
    "conns_per_worker": [a[p]["fds"] - b[p]["fds"] for p in pids],
    "rss_per": d("VmRSS") / n, "anon_per": d("RssAnon") / n,
    "file_per": d("RssFile") / n, "shmem_per": d("RssShmem") / n,
    "pss_per": d("smaps.Pss") / n, "pss_anon_per": d("smaps.Pss_Anon") / n,
    "pss_file_per": d("smaps.Pss_File") / n,
    "pss_shmem_per": d("smaps.Pss_Shmem") / n,
    "rss_after_kb": [a[p]["VmRSS"] // 1024 for p in pids],
    "slab_per": (a["meminfo"]["Slab"] - b["meminfo"]["Slab"]) / n,
    "tcp_mem_pages": a["sockstat_tcp"].get("mem", 0) - b["sockstat_tcp"].get("mem", 0),
    "idle_cpu_pct_stat": [((i[p]["utime"] + i[p]["stime"]) - (a[p]["utime"] + a[p]["stime"]))
                          / hz / idle * 100 for p in pids],
    "idle_cpu_pct_sched": [(i[p]["sched_ns"] - a[p]["sched_ns"]) / 1e9 / idle * 100
                           for p in pids],
}))
PY
    python3 - "$out/raw.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
cpu = [round(x, 2) for x in r["idle_cpu_pct_sched"]]
print(f"  {r['system']:5s}: {r['rss_per']:7.0f} B RSS/req (anon {r['anon_per']:.0f}, "
      f"file {r['file_per']:.0f}, shmem {r['shmem_per']:.0f}), Pss {r['pss_per']:.0f} B/req, "
      f"slab {r['slab_per']:.0f} B/conn, parked in {r['park_s']:.1f}s, "
      f"per worker {r['conns_per_worker']}, held {r['held_at_end']}, "
      f"answered {r['answered']}, idle CPU {cpu}%")
PY
}

echo "W4: $n parked requests, 2 workers, $nsrc source addresses, $w4_rounds rounds" \
     "(SUT then nchan, alternating), idle CPU over ${idle}s"
: > "$out/raw.jsonl"
for r in $(seq 1 "$w4_rounds"); do
    echo "round $r"
    if [ $((r % 2)) -eq 1 ]; then
        measure sut "$sut_port"; measure nchan "$nchan_port"
    else
        measure nchan "$nchan_port"; measure sut "$sut_port"
    fi
done

python3 - "$out/raw.jsonl" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
m = statistics.median
res = {}
for s in ("sut", "nchan"):
    R = [r for r in rows if r["system"] == s]
    res[s] = {k: m(r[k] for r in R) for k in ("rss_per", "anon_per", "file_per",
              "shmem_per", "pss_per", "slab_per", "park_s")}
    res[s]["cpu"] = m(sum(r["idle_cpu_pct_sched"]) for r in R)
    res[s]["cpu_stat"] = m(sum(r["idle_cpu_pct_stat"]) for r in R)
    res[s]["held"] = min(r["held_at_end"] for r in R)
    v = res[s]
    print(f"W4: {s:5s} {v['rss_per']:.0f} B RSS per parked request (anon {v['anon_per']:.0f}, "
          f"file {v['file_per']:.0f}, shmem {v['shmem_per']:.0f}), Pss {v['pss_per']:.0f} B, "
          f"kernel slab {v['slab_per']:.0f} B/conn, idle CPU {v['cpu']:.2f}% (both workers; "
          f"{v['cpu_stat']:.1f}% from /proc/<pid>/stat ticks), "
          f"park {v['park_s']:.1f}s, min held {v['held']}")
s, c = res["sut"], res["nchan"]
print(f"W4: ratio RSS {s['rss_per'] / c['rss_per']:.2f}x nchan (target <= 1.0x: "
      f"{'met' if s['rss_per'] <= c['rss_per'] else 'NOT met'}), Pss "
      f"{s['pss_per'] / c['pss_per']:.2f}x; absolute {s['rss_per'] / 1024:.1f} KB "
      f"(target <= 16 KB: {'met' if s['rss_per'] <= 16384 else 'NOT met'})")
PY
