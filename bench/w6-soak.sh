#!/usr/bin/env bash
# W6 (guides/performance.md): the user-model soak.  W6_APPS UCWA
# applications (one per user, default 26 600), each with a P-GET parked
# all the time, driven for W6_DURATION seconds at the SfB model rates x
# W6_SCALE (10: ~74 presence publications/s, ~1 100 polls/s, ~350 IM/s
# plus a typing notification before each message, P-GETs recycling every
# 180 s, ~150/s), scaled by W6_APPS / 26 600.
#
# Model (bench/w6_load.c does the driving):
# * every user has W6_CONTACTS contacts (the next users by number, in the
#   default group) and a presence subscription to that group
#   (subscribeToGroupPresence), so a presence change reaches W6_CONTACTS
#   applications (contactPresence, medium); the subscription is extended
#   every 10 min, spread out;
# * IM: conversations between two idle users (invite, accept, W6_MSGS
#   messages alternating sides, each after setIsTyping, then terminate);
#   a message's latency is from its POST to the recipient's P-GET
#   delivering it, and every message must arrive exactly once;
# * polls: GETs of me, me/presence, people/contacts, communication,
#   policies, people/groups, communication/missedItems, plus the P-GET
#   answers;
# * each P-GET is re-issued with its ack as soon as it answers; an idle
#   one answers at its timeout (180 s; the first ones spread over 60-180 s
#   with mobility_ucwa_pget_timeout 60s, which only lowers the clamp).
#
# nginx: master + 2 workers, 20 000 connections and open files each,
# listen reuseport, durability W6_DURABILITY (default relaxed flush=1s:
# guides/performance.md, "writes need group commit or relaxed sync to keep
# up with the HTTP layer"; full fsyncs every commit, see bench/RESULTS.md
# W6; the setup always uses relaxed).  The load
# generator runs as W6_PROCS processes (the open-files limit is 20 000 per
# process), the P-GETs from W6_SRC loopback source addresses.
#
# Reported per W6_INTERVAL (60 s): requests, errors by status, P-GETs late
# (> timeout + 2 s), connections closed under a request, IM sent /
# delivered / p50 / p99, nginx CPU (master + workers, /proc/<pid>/stat, %
# of 2 vCPUs), the load generator's CPU, workers' RSS, the load average.
# At the end: totals, lost and duplicated messages, RSS drift from the end
# of the warm-up (W6_WARMUP, default 300 s, at most a third of the run) to
# the end, worker crashes (error.log, worker pids).
#
# Knobs: W6_APPS (26600), W6_DURATION (1800), W6_SCALE (10), W6_PORT
# (18261), W6_MODULE (the module to load: a previous build for the
# regression baseline; default MOBILITY_MODULE or build/), W6_TAG (results
# directory name, default w6), W6_CONTACTS (10), W6_MSGS (6), W6_PROCS
# (apps / 12 000, at least 2), W6_SRC (4), W6_CONNS (64 command
# connections per process), W6_QUEUE_MAX (2 000 requests waiting per
# process; beyond, new polls, presence changes, extensions and
# conversations are shed and counted), W6_DURABILITY (relaxed | full |
# nometasync),
# W6_WARMUP (300), W6_INTERVAL (60).  Raw numbers: bench/results/$W6_TAG/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

napps=${W6_APPS:-26600}
dur=${W6_DURATION:-1800}
scale=${W6_SCALE:-10}
port=${W6_PORT:-18261}
module=${W6_MODULE:-$module}
tag=${W6_TAG:-w6}
ncontacts=${W6_CONTACTS:-10}
nsrc=${W6_SRC:-4}
durability=${W6_DURABILITY:-relaxed}
interval=${W6_INTERVAL:-60}
warmup=${W6_WARMUP:-300}
[ "$warmup" -gt $((dur / 3)) ] && warmup=$((dur / 3))
procs=${W6_PROCS:-$(( (napps + 11999) / 12000 ))}
[ "$procs" -lt 2 ] && procs=2
export W6_MSGS=${W6_MSGS:-6} W6_CONNS=${W6_CONNS:-64} W6_INTERVAL=$interval \
    W6_QUEUE_MAX=${W6_QUEUE_MAX:-2000}

[ -f "$module" ] || { echo "W6_MODULE: no $module" >&2; exit 1; }

out=$(bench_dir "$tag")
gcc -O2 -Wall -o "$out/w6_load" "$top/bench/w6_load.c"
load="$out/w6_load"

# ---------------------------------------------------------------- setup

conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=4096m$1;
thread_pool default threads=2;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 1000000;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1h;
    mobility_ucwa_pget_timeout 60s;
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
        location = /status { stub_status; }
    }
}
CONF
}

t=$(now)
store_init 4096m
provision_users 1 "$napps"
conf " durability=relaxed flush=1s"
nginx_start "$out"
trap 'nginx_stop "$out"' EXIT
wait_workers "$out" 2

build_client
"$client" tokens "$port" 16 "$out/users-1.txt" "$password" > "$out/tokens.txt"
"$client" create "$port" 16 "$out/tokens.txt" 1 > "$out/apps0.txt"
[ "$(wc -l < "$out/apps0.txt")" -eq "$napps" ]

# in user order: "href token sip"; and the setup requests
python3 - "$out" "$ncontacts" <<'PY'
import sys
out, nc = sys.argv[1], int(sys.argv[2])
sip = {t: s for s, t in (l.split() for l in open(f"{out}/tokens.txt"))}
apps = {sip[t]: (h, t) for h, t in (l.split() for l in open(f"{out}/apps0.txt"))}
users = [l.strip() for l in open(f"{out}/users-1.txt") if l.strip()]
n = len(users)
with open(f"{out}/apps1.txt", "w") as f, open(f"{out}/mma.req", "w") as m, \
     open(f"{out}/contacts.req", "w") as c, open(f"{out}/subs.req", "w") as s:
    for i, u in enumerate(users):
        h, t = apps[u]
        print(h, t, u, file=f)
        print("POST", h + "/me/makeMeAvailable", t,
              '{"SignInAs":"Online","SupportedModalities":["Messaging"]}', file=m)
        for j in range(1, nc + 1):
            print("POST", f"{h}/people/groupMemberships?contactUri=sip:{users[(i + j) % n]}",
                  t, file=c)
        print("POST", h + "/people/presenceSubscriptions?groupId=1&duration=30", t,
              file=s)
PY

check() {   # FILE WANT: every line of a batch answered WANT
    local bad
    bad=$(awk -v w="$2" '$2 != w' "$1" | wc -l)
    if [ "$bad" -ne 0 ]; then
        echo "W6 setup: $bad requests of $1 not $2:" >&2
        awk -v w="$2" '$2 != w' "$1" | head -5 >&2
        exit 1
    fi
}
"$load" batch "$port" 16 "$out/mma.req" > "$out/mma.res"
check "$out/mma.res" 204
"$load" batch "$port" 16 "$out/contacts.req" > "$out/contacts.res"
check "$out/contacts.res" 201
"$load" batch "$port" 16 "$out/subs.req" > "$out/subs.res"
check "$out/subs.res" 201
nginx_stop "$out"

python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
loc = {}
for l in open(f"{out}/subs.res"):
    i, st, where = l.split()
    loc[int(i)] = re.sub(r"^https?://[^/]+", "", where)
with open(f"{out}/apps.txt", "w") as f:
    for i, l in enumerate(open(f"{out}/apps1.txt")):
        print(l.strip(), loc[i], file=f)
PY
echo "W6 setup: $napps users and applications, $ncontacts contacts each," \
     "subscribed to their presence, in $(elapsed "$t")s" | tee "$out/setup.txt"

# ------------------------------------------------------------- measure

case $durability in
full) conf "" ;;
nometasync) conf " durability=nometasync" ;;
relaxed) conf " durability=relaxed flush=1s" ;;
*) echo "W6_DURABILITY: full, nometasync or relaxed" >&2; exit 1 ;;
esac
sed -i -e '/oauthtoken/d' -e '/thread_pool/d' "$out/nginx.conf"

nginx_start "$out"
wait_workers "$out" 2
master=$(cat "$out/nginx.pid")
wpids=$(workers "$out" | tr '\n' ' ')

# rates per process (scaled by W6_SCALE / 10 and W6_APPS / 26 600)
rate() { python3 -c "import sys; print(float(sys.argv[1]) * $scale / 10 * $napps / 26600 / $procs)" "$1"; }
export W6_R_PRESENCE=$(rate 74) W6_R_POLL=$(rate 1100) W6_R_IM=$(rate 350)

echo "W6: $napps applications, ${dur}s, scale $scale, $procs load processes," \
     "durability=$durability, module $module"
echo "W6: per process/s: presence $W6_R_PRESENCE, polls $W6_R_POLL, IM $W6_R_IM"
cpids=()
for p in $(seq 0 $((procs - 1))); do
    lo=$((napps * p / procs)); hi=$((napps * (p + 1) / procs))
    W6_SEED=$((p + 1)) "$load" run "$port" "$nsrc" "$out/apps.txt" "$lo" "$hi" \
        "$dur" "$out/load-$p" > "$out/load-$p.out" 2> "$out/load-$p.err" &
    cpids+=($!)
done
for i in $(seq 1 600); do
    r=$(cat "$out"/load-*.out 2>/dev/null | grep -c '^ready' || true)
    [ "$r" -eq "$procs" ] && break
    for c in "${cpids[@]}"; do
        kill -0 "$c" 2>/dev/null || { cat "$out"/load-*.err >&2; exit 1; }
    done
    sleep 1
done
echo "W6: parked and drained: $(grep -h 'parked' "$out"/load-*.err | tr '\n' ' ')"

# one sample per interval: time, load average, CPU ticks of nginx (master
# and workers), workers' RSS and pids (the load processes count their own
# CPU)
sample() {
    python3 - "$master" <<'PY'
import json, os, sys, time
master = sys.argv[1]
kids = [p for p in os.listdir("/proc") if p.isdigit()]
def ticks(p):
    st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
    return int(st[11]) + int(st[12])
workers = []
for p in kids:
    try:
        st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        if st[1] == master and b"worker" in open(f"/proc/{p}/cmdline", "rb").read():
            workers.append(p)
    except OSError:
        pass
rss, anon = {}, {}
for p in workers:
    for l in open(f"/proc/{p}/status"):
        if l.startswith("VmRSS:"):
            rss[p] = int(l.split()[1])
        elif l.startswith("RssAnon:"):
            anon[p] = int(l.split()[1])
print(json.dumps({"t": time.monotonic(), "loadavg": open("/proc/loadavg").read().split()[:3],
                  "nginx_ticks": ticks(master) + sum(ticks(p) for p in workers),
                  "rss_kb": rss, "anon_kb": anon, "workers": sorted(workers)}))
PY
}
: > "$out/samples.jsonl"
sample >> "$out/samples.jsonl"
(
    while :; do
        sleep "$interval"
        sample >> "$out/samples.jsonl" 2>/dev/null || true
    done
) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true; nginx_stop "$out"' EXIT

fail=0
for c in "${cpids[@]}"; do wait "$c" || fail=1; done
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sleep 0.5
sample >> "$out/samples.jsonl"
[ "$fail" -eq 0 ] || { echo "W6: a load process failed:" >&2; cat "$out"/load-*.err >&2; }
nginx_stop "$out"
du -sh "$out/store" > "$out/store-size.txt"

python3 - "$out" "$procs" "$warmup" "$interval" <<'PY' | tee "$out/summary.txt"
import collections, json, re, sys
out, procs, warmup, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def kv(line):
    f = line.split()
    d = {}
    i = 0
    while i + 1 < len(f):
        d[f[i]] = f[i + 1]; i += 2
    return d
mins = collections.defaultdict(lambda: collections.Counter())
for p in range(procs):
    for l in open(f"{out}/load-{p}.min"):
        k, _, rest = l.split(" ", 2)
        d = kv(rest)
        c = mins[int(k)]
        for key, v in d.items():
            if key in ("interval",):
                continue
            if "/" in v:
                a, b = v.split("/"); c[key + "_ok"] += int(a); c[key] += int(b)
            elif key in ("queued_max",):
                c[key] = max(c[key], int(v))
            elif key in ("seconds", "cmd_lat_max_ms"):
                c[key] = max(c[key], float(v))
            elif key == "cpu_ms":
                c[key] += float(v)
            elif False:
                c[key] = max(c[key], float(v))
            else:
                c[key] += int(v)
lat = collections.defaultdict(list)
for p in range(procs):
    for l in open(f"{out}/load-{p}.lat"):
        k, us = l.split()
        lat[int(k)].append(float(us) / 1000)
tot = collections.Counter()
for p in range(procs):
    lines = open(f"{out}/load-{p}.sum").read().splitlines()
    d = kv(lines[0].split(" ", 1)[1])
    for key, v in d.items():
        if key == "total":
            continue
        if "/" in v:
            a, b = v.split("/"); tot[key + "_ok"] += int(a); tot[key] += int(b)
        elif key in ("seconds", "cmd_lat_max_ms", "queued_max"):
            tot[key] = max(tot[key], float(v))
        elif key == "cpu_ms":
            tot[key] += float(v)
        else:
            tot[key] += int(v)
S = sorted((json.loads(l) for l in open(f"{out}/samples.jsonl")), key=lambda s: s["t"])
S = [s for s in S if s["workers"]]
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")
errkeys = lambda c: {k: v for k, v in c.items() if re.fullmatch(r"s\d+", k)}
print(f"{'min':>3} {'requests':>8} {'req/s':>6} {'errors':>6} {'late':>4} {'IM sent':>7} "
      f"{'deliv':>6} {'shed':>6} {'p50 ms':>7} {'p99 ms':>7} {'nginx CPU%':>10} {'load CPU%':>9} "
      f"{'RSS MB':>7} {'anon MB':>7} {'loadavg':>5}  statuses other than 2xx")
for k in sorted(mins):
    c = mins[k]
    e = sum(errkeys(c).values()) + c["late"] + c["closed"] + c["dup"] + c["bad"]
    cpu = rss = anon = la = float("nan")
    lcpu = c["cpu_ms"] / 1000 / max(c["seconds"], 1) / 2 * 100
    if k + 1 < len(S):
        a, b = S[k], S[k + 1]
        dt = b["t"] - a["t"]
        cpu = (b["nginx_ticks"] - a["nginx_ticks"]) / 100 / dt / 2 * 100
        rss = sum(b["rss_kb"].values()) / 1024
        anon = sum(b["anon_kb"].values()) / 1024
        la = b["loadavg"][0]
    L = lat.get(k, [])
    print(f"{k + 1:3d} {c['requests']:8d} {c['requests'] / max(c['seconds'], 1):6.0f} {e:6d} "
          f"{c['late']:4d} {c['im_sent']:7d} {c['im_delivered']:6d} "
          f"{sum(v for x, v in c.items() if x.startswith('shed_')):6d} {pct(L, .5):7.2f} "
          f"{pct(L, .99):7.2f} {cpu:10.1f} {lcpu:9.1f} {rss:7.1f} {anon:7.1f} {la:>5}  "
          f"{' '.join(f'{k}={v}' for k, v in errkeys(c).items()) or '-'}")
allL = [x for v in lat.values() for x in v]
errs = sum(errkeys(tot).values())
print(f"W6 totals: {tot['requests']} requests in {tot['seconds']:.0f}s "
      f"({tot['requests'] / max(tot['seconds'], 1):.0f}/s; P-GET answers {tot['pget']}, "
      f"of them empty {tot['pget_empty']}); by kind ok/sent: "
      + ", ".join(f"{k} {tot[k + '_ok']}/{tot[k]}" for k in
                  ("poll", "presence", "invite", "accept", "typing", "message",
                   "terminate", "extend")))
shed = {x[5:]: v for x, v in tot.items() if x.startswith("shed_")}
print(f"W6 shed (offered but not sent, the queue of W6_QUEUE_MAX full): "
      f"{sum(shed.values())} {shed or ''}")
print(f"W6 errors: non-2xx {errs} {dict(errkeys(tot)) or ''}, P-GETs late {tot['late']}, "
      f"closed under a request {tot['closed']}, messages lost {tot['lost']} of "
      f"{tot['im_sent']} (delivered {tot['im_delivered']}), duplicated {tot['dup']}, "
      f"misdelivered {tot['bad']}; 503s {tot['s503']}")
print(f"W6 IM: {len(allL)} deliveries, p50 {pct(allL, .5):.2f} ms, p99 {pct(allL, .99):.2f} ms, "
      f"max {max(allL) if allL else float('nan'):.1f} ms (target p99 <= 100 ms); "
      f"{tot['convs']} conversations; command queue max {tot['queued_max']:.0f}, "
      f"slowest command {tot['cmd_lat_max_ms']:.1f} ms")
t0, t1 = S[0], S[-1]
dt = t1["t"] - t0["t"]
cpu = (t1["nginx_ticks"] - t0["nginx_ticks"]) / 100 / dt / 2 * 100
lcpu = tot["cpu_ms"] / 1000 / max(tot["seconds"], 1) / 2 * 100
per_min = [(b["nginx_ticks"] - a["nginx_ticks"]) / 100 / (b["t"] - a["t"]) / 2 * 100
           for a, b in zip(S, S[1:])]
print(f"W6 CPU: nginx {cpu:.1f}% of 2 vCPUs over the run (max interval "
      f"{max(per_min) if per_min else float('nan'):.1f}%; target <= 50%), load generator "
      f"{lcpu:.1f}% (its own getrusage); load average {min(float(s['loadavg'][0]) for s in S):.2f}-"
      f"{max(float(s['loadavg'][0]) for s in S):.2f}")
w = [s for s in S if s["t"] - t0["t"] >= warmup - 1]
if w and len(w) > 1:
    for key, what in (("rss_kb", "VmRSS (with the LMDB map's resident pages)"),
                      ("anon_kb", "RssAnon (heap and pools)")):
        r0 = sum(w[0][key].values()); r1 = sum(t1[key].values())
        print(f"W6 {what}: workers {sum(t0[key].values()) / 1024:.1f} MB at the start, "
              f"{r0 / 1024:.1f} MB after the {warmup}s warm-up, {r1 / 1024:.1f} MB at the "
              f"end: drift {(r1 - r0) / r0 * 100:+.2f}% (target < 1%)")
pids = {tuple(s["workers"]) for s in S}
print(f"W6 workers: {'the same 2 all along' if len(pids) == 1 else 'CHANGED: ' + str(pids)}")
PY
crit=$(grep -c -E '\[(alert|crit|emerg)\]|exited on signal' "$out/logs/error.log" || true)
drops=$(grep -c 'mobility ipc: .* dropping one' "$out/logs/error.log" || true)
echo "W6 error.log: $crit alert/crit lines (of them $drops IPC wake-ups dropped);" \
     "store $(cut -f1 "$out/store-size.txt")" | tee -a "$out/summary.txt"
