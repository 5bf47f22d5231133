#!/usr/bin/env bash
# W7 (guides/performance.md §6): push dispatch to a mock APNs.
#
# The mock is nginx with TLS and HTTP/2 (`http2_max_concurrent_streams
# 1000`, `return 200` on /3/device/), a self-signed P-256 certificate made
# here (our sender trusts it through mobility_push_trusted_certificate),
# one worker on CPU 0.  It logs per request $msec, $request_time,
# $connection, $connection_requests, the apns-id and the authorization
# header.
#
# SUT: our nginx, one worker on CPU 1 (the sender runs in worker 0), APNs
# token auth, D registered devices (W7_DEVICES, default 1: one user, one
# iPhone).  `mobilityctl push-target test SIP EP --count K/D` queues the
# pushes (one write transaction per device, then the IPC wake-up); the
# round ends when the mock has answered K requests with 200.
#   rate     (K - 1) / (last 200 - first 200), from the mock's $msec
#   latency  creation -> 200: the apns-id our sender sends carries the
#            entry's creation time (ms) in its first 48 bits
#            (ngx_mobility_push_uuid()); minus the mock's $msec of the 200
#   cpu      the SUT worker's user+system CPU per push (/proc), and the
#            mock's, which does not depend on the load of the box
# Baseline: h2load -c1 -m1000 -n K on CPU 1 against the same mock, with the
# same headers (a JWT of the same length) and a body of the same size:
# the sink's ceiling on one connection.  Rounds alternate baseline, SUT
# (for each durability), baseline, ...; the mock is restarted for every
# run, so every run starts on a new connection.
#
# Side conditions checked from the mock's log, per SUT run:
#   auth      distinct authorization headers (the JWT is reused: 1)
#   conns     connections used (one h2 connection per APNs environment: 1)
#   early     requests started ($msec - $request_time) no later than the
#             first 200 was complete, the first included (only one stream
#             until the first answer: 1).  nginx's clock has a 1 ms grain:
#             a request started in the same millisecond counts, so the
#             figure errs towards "not met"; h2load's is about -m.
#
# Steady mode (W7_RATE set, e.g. "2000 5000"): instead of a burst, a
# driver (bench/w7-arrive.py, unpinned) queues pushes at a constant rate
# for W7_SECONDS (10) while the sender runs: open loop, every tick it
# queues what the clock says is due (rate x elapsed - queued) with one
# `mobilityctl push-target test --count n` (one transaction + wake-up),
# so n adapts to how long a CLI run takes; it records every call.  No
# baseline (h2load measures a closed loop).  Latency as above; the report
# adds the arrival process really achieved (calls, pushes per call, the
# largest gap between calls, the rate) and p99 without the first second
# (connection set-up, TLS, the first JWT).
#
# Knobs: W7_COUNTS ("20000 100000"), W7_DEVICES (1), W7_DURABILITY
# ("full relaxed"), W7_ROUNDS (3), W7_PORT (18270; the mock on +1),
# W7_TIMEOUT (s per run, 300), W7_RATE (unset: burst), W7_SECONDS (10).
# Raw numbers: bench/results/w7-push/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

counts=${W7_COUNTS:-20000 100000}
devices=${W7_DEVICES:-1}
durabilities=${W7_DURABILITY:-full relaxed}
w7_rounds=${W7_ROUNDS:-3}
port=${W7_PORT:-18270}
mport=$((port + 1))
timeout=${W7_TIMEOUT:-300}
rates=${W7_RATE:-}
seconds=${W7_SECONDS:-10}

command -v h2load >/dev/null \
    || apt-get install -y -qq nghttp2-client >/dev/null

out=$(bench_dir w7-push)
mock="$out/mock"
mkdir -p "$mock/logs" "$out/runs"

# ------------------------------------------------------------ credentials

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$out/mock.key" -out "$out/mock.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$out/apns.p8" 2>/dev/null

# ------------------------------------------------------------ the mock

cat > "$mock/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 01;
error_log $mock/logs/error.log warn;
pid $mock/nginx.pid;
events { worker_connections 4096; }
http {
    log_format w7 '\$msec \$request_time \$connection \$connection_requests '
                  '\$status \$request_method "\$http_apns_id" '
                  '"\$http_authorization"';
    access_log $mock/logs/push.log w7 buffer=1m flush=1s;
    keepalive_requests 100000000;
    keepalive_timeout 10m;
    server {
        listen 127.0.0.1:$mport ssl http2 reuseport;
        ssl_certificate $out/mock.pem;
        ssl_certificate_key $out/mock.key;
        http2_max_concurrent_streams 1000;
        location /3/device/ { return 200; }
        location / { return 404; }
    }
}
CONF

mock_start() {
    rm -f "$mock/logs/push.log"
    nginx_start "$mock"
    wait_workers "$mock" 1
}

# ------------------------------------------------------------ the SUT

conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 1;
worker_cpu_affinity 10;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=1024m$1;
events { worker_connections 4096; }
http {
    access_log off;
    mobility_server_fqdn fe1.contoso.com;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_push_apns key=$out/apns.p8 key_id=KEY1234567 team_id=TEAM123456
                       production=https://127.0.0.1:$mport
                       sandbox=https://127.0.0.1:$mport;
    mobility_push_trusted_certificate $out/mock.pem;
    mobility_push_concurrency 1000;
    # the sender's throughput, not the per-device limit (240 a minute,
    # t/072-push-send.t): K pushes to one device would wait for it
    mobility_push_device_rate 0;
    server {
        listen 127.0.0.1:$port;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
        location = /push-status { mobility_push_status; }
    }
}
CONF
}

durability_opts() {
    case $1 in
    full)    echo "" ;;
    relaxed) echo " durability=relaxed flush=1s" ;;
    *)       echo "unknown durability $1" >&2; exit 2 ;;
    esac
}

# ------------------------------------------------------------ setup

store_init 1024m
provision_users 1 "$devices"
conf ""
nginx_start "$out"
trap 'nginx_stop "$out"; nginx_stop "$mock"' EXIT
wait_workers "$out" 1

# each user registers one iPhone through UCWA: "sip endpoint token" lines
python3 - "$port" "$password" "$out/users-1.txt" > "$out/devices.txt" <<'PY'
import http.client, json, sys, urllib.parse
port, password, users = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None, ctype=None, token=None):
    h = {}
    if ctype: h["Content-Type"] = ctype
    if token: h["Authorization"] = "Bearer " + token
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.read()
for i, sip in enumerate(l.strip() for l in open(users)):
    st, b = call("POST", "/WebTicket/oauthtoken", urllib.parse.urlencode(
        {"grant_type": "password", "username": sip, "password": password}),
        "application/x-www-form-urlencoded")
    assert st == 200, (st, b)
    tok = json.loads(b)["access_token"]
    ep = f"ep-bench-{i:06d}"
    st, b = call("POST", "/ucwa/oauth/v1/applications", json.dumps(
        {"UserAgent": "W7/1.0", "EndpointId": ep, "Culture": "en-US"}),
        "application/json", tok)
    assert st in (200, 201), (st, b)
    app = json.loads(b)["_links"]["self"]["href"]
    dev = f"{i:08x}" * 8
    st, b = call("PUT", app + "/pushRegistration", json.dumps(
        {"provider": "apns", "deviceToken": dev,
         "apnsTopic": "com.contoso.mobility"}), "application/json", tok)
    assert st in (200, 201), (st, b)
    print(sip, ep, dev)
PY
nginx_stop "$out"

# the baseline's request: the headers our sender sends, a JWT of the same
# length, the body of a test push with the same text
read -r _ _ dev0 < "$out/devices.txt"
jwt=$(python3 -c 'import base64,os; e=lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode(); print(e(b"{\"alg\":\"ES256\",\"kid\":\"KEY1234567\"}")+"."+e(b"{\"iss\":\"TEAM123456\",\"iat\":1700000000}")+"."+e(os.urandom(64)))')
printf '{"aps":{"alert":{"title":"Skype for Business","body":"W7 bench"},"badge":0,"sound":"default"},"type":"test"}' \
    > "$out/payload.json"

run_baseline() {
    local k=$1 tag=$2
    mock_start
    taskset -c 1 h2load -c1 -m1000 -n "$k" -t1 \
        -H "authorization: bearer $jwt" \
        -H "apns-topic: com.contoso.mobility" -H "apns-push-type: alert" \
        -H "apns-priority: 10" -H "apns-expiration: 1900000000" \
        -H "apns-id: 00000000-0000-4000-8000-000000000000" \
        -H "apns-collapse-id: 0000000000000000" \
        -d "$out/payload.json" "https://127.0.0.1:$mport/3/device/$dev0" \
        > "$out/runs/$tag.h2load.txt" 2>&1
    local mpid
    mpid=$(workers "$mock")
    proc_snapshot "$mpid" > "$out/runs/$tag.mockproc.json"
    nginx_stop "$mock"
    cp "$mock/logs/push.log" "$out/runs/$tag.log"
}

run_sut() {
    local k=$1 dur=$2 tag=$3 per sip ep dev sent i wpid mpid
    per=$(( k / devices ))
    conf "$(durability_opts "$dur")"
    mock_start
    nginx_start "$out"
    wait_workers "$out" 1
    wpid=$(workers "$out")
    mpid=$(workers "$mock")
    proc_snapshot "$wpid" > "$out/runs/$tag.proc0.json"
    proc_snapshot "$mpid" > "$out/runs/$tag.mockproc0.json"
    while read -r sip ep dev; do
        taskset -c 1 "$ctl" push-target test "$sip" "$ep" --count "$per" \
            --text "W7 bench" >/dev/null
    done < "$out/devices.txt"
    for i in $(seq 1 $((timeout * 10))); do
        sent=$(curl -s "http://127.0.0.1:$port/push-status" \
               | python3 -c 'import json,sys; print(json.load(sys.stdin)["providers"]["apns"]["sent"])')
        [ "$sent" -ge $((per * devices)) ] && break
        sleep 0.1
    done
    proc_snapshot "$wpid" > "$out/runs/$tag.proc1.json"
    proc_snapshot "$mpid" > "$out/runs/$tag.mockproc1.json"
    curl -s "http://127.0.0.1:$port/push-status" > "$out/runs/$tag.status.json"
    nginx_stop "$out"
    nginx_stop "$mock"
    cp "$mock/logs/push.log" "$out/runs/$tag.log"
}

# steady arrival: RATE pushes/s for $seconds s while the sender runs
run_steady() {
    local rate=$1 dur=$2 tag=$3 sent total wpid mpid i
    conf "$(durability_opts "$dur")"
    mock_start
    nginx_start "$out"
    wait_workers "$out" 1
    wpid=$(workers "$out")
    mpid=$(workers "$mock")
    proc_snapshot "$wpid" > "$out/runs/$tag.proc0.json"
    proc_snapshot "$mpid" > "$out/runs/$tag.mockproc0.json"
    python3 "$top/bench/w7-arrive.py" "$ctl" "$out/devices.txt" "$rate" \
        "$seconds" > "$out/runs/$tag.arrival.json"
    total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["queued"])' \
            "$out/runs/$tag.arrival.json")
    for i in $(seq 1 $((timeout * 10))); do
        sent=$(curl -s "http://127.0.0.1:$port/push-status" \
               | python3 -c 'import json,sys; print(json.load(sys.stdin)["providers"]["apns"]["sent"])')
        [ "$sent" -ge "$total" ] && break
        sleep 0.1
    done
    proc_snapshot "$wpid" > "$out/runs/$tag.proc1.json"
    proc_snapshot "$mpid" > "$out/runs/$tag.mockproc1.json"
    curl -s "http://127.0.0.1:$port/push-status" > "$out/runs/$tag.status.json"
    nginx_stop "$out"
    nginx_stop "$mock"
    cp "$mock/logs/push.log" "$out/runs/$tag.log"
}

{
    echo "w7: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
         "devices $devices, counts $counts, rates ${rates:-none}" \
         "(${seconds} s), durability $durabilities," \
         "rounds $w7_rounds"
    uname -r; "$nginx" -v 2>&1; h2load --version | head -1
    md5sum "$module" "$ctl"
} > "$out/machine.txt"
cat "$out/machine.txt"

for r in $(seq 1 "$w7_rounds"); do
    for rate in $rates; do
        for d in $durabilities; do
            run_steady "$rate" "$d" "r$r-s$rate-$d"
        done
        echo "round $r rate=$rate done (load $(cut -d' ' -f1 /proc/loadavg))"
    done
    [ -n "$rates" ] && continue
    for k in $counts; do
        run_baseline "$k" "r$r-k$k-baseline"
        for d in $durabilities; do
            run_sut "$k" "$d" "r$r-k$k-$d"
        done
        echo "round $r K=$k done (load $(cut -d' ' -f1 /proc/loadavg))"
    done
done

python3 - "$out" <<'PY' | tee "$out/summary.txt"
import collections, glob, json, os, re, statistics, sys
out = sys.argv[1]
tick = os.sysconf("SC_CLK_TCK")

def cpu(a, b):
    pa = json.load(open(a)); pb = json.load(open(b))
    pid = [k for k in pa if k.isdigit()][0]
    return (pb[pid]["utime"] + pb[pid]["stime"]
            - pa[pid]["utime"] - pa[pid]["stime"]) / tick

def created(apns_id):
    h = apns_id.replace("-", "")
    return int(h[:12], 16) / 1000.0

def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]

rows = collections.defaultdict(list)
for log in sorted(glob.glob(f"{out}/runs/*.log")):
    tag = os.path.basename(log)[:-4]
    m = re.match(r"r(\d+)-(k|s)(\d+)-(\w+)$", tag)
    rnd, steady, k, mode = int(m[1]), m[2] == "s", int(m[3]), m[4]
    if steady:
        mode = "steady-" + mode
    reqs = []
    for line in open(log):
        f = re.match(r'(\S+) (\S+) (\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)"',
                     line)
        if f:
            reqs.append((float(f[1]), float(f[2]), int(f[3]), int(f[4]),
                         int(f[5]), f[7], f[8]))
    ok = sorted(r for r in reqs if r[4] == 200)
    n = len(ok)
    if n < 2:
        print(f"{tag}: only {n} answers"); continue
    span = ok[-1][0] - ok[0][0]
    d = {"round": rnd, "k": k, "mode": mode, "n": n,
         "non200": len(reqs) - n,
         "rate": (n - 1) / span if span > 0 else float("inf"),
         "auth": len({r[6] for r in reqs}),
         "conns": len({r[2] for r in reqs})}
    first_done = ok[0][0]
    # the first 200 and the requests started no later than it ended:
    # nginx's times have a 1 ms grain, so a request started within the
    # same millisecond counts as early (this errs towards "not met")
    d["early"] = 1 + sum(1 for r in reqs
                         if r is not ok[0] and r[0] - r[1] <= first_done)
    if mode == "baseline":
        txt = open(f"{out}/runs/{tag}.h2load.txt").read()
        m2 = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", txt)
        d["h2load_rps"] = float(m2[3]) if m2 else None
        d["mock_cpu_us"] = None
    else:
        lat = sorted((r[0] - created(r[5])) * 1000 for r in ok)
        d["p50"], d["p99"], d["max"] = pct(lat, .5), pct(lat, .99), lat[-1]
        d["first"] = lat[0]
        t0 = min(created(r[5]) for r in ok)
        late = sorted((r[0] - created(r[5])) * 1000 for r in ok
                      if created(r[5]) >= t0 + 1)
        d["p99_after1s"] = pct(late, .99) if late else float("nan")
        d["sut_cpu_us"] = cpu(f"{out}/runs/{tag}.proc0.json",
                              f"{out}/runs/{tag}.proc1.json") / n * 1e6
        d["mock_cpu_us"] = cpu(f"{out}/runs/{tag}.mockproc0.json",
                               f"{out}/runs/{tag}.mockproc1.json") / n * 1e6
    rows[(k, mode)].append(d)
    line = (f"r{rnd} K={k} {mode:8s} n={n} non200={d['non200']} "
            f"rate={d['rate']:.0f}/s auth={d['auth']} conns={d['conns']} "
            f"early={d['early']}")
    if steady:
        a = json.load(open(f"{out}/runs/{tag}.arrival.json"))
        d["arrival"] = a
        line = (f"r{rnd} rate={k}/s {mode[7:]:8s} n={n} "
                f"non200={d['non200']} auth={d['auth']} conns={d['conns']} "
                f"arrival: {a['queued']} in {a['span']:.2f} s = "
                f"{a['rate']:.0f}/s, {a['calls']} calls, "
                f"{a['per_call_mean']:.1f} per call (max {a['per_call_max']}),"
                f" call p50={a['call_ms_p50']:.1f} p99={a['call_ms_p99']:.1f}"
                f" ms, gap max={a['gap_ms_max']:.1f} ms;"
                f" lat p50={d['p50']:.1f} p99={d['p99']:.1f} "
                f"max={d['max']:.1f} ms (p99 after 1 s "
                f"{d['p99_after1s']:.1f}) sut_cpu={d['sut_cpu_us']:.1f} us/push")
    elif mode == "baseline":
        line += f" h2load={d['h2load_rps']}"
    else:
        line += (f" lat p50={d['p50']:.0f} p99={d['p99']:.0f} "
                 f"max={d['max']:.0f} ms sut_cpu={d['sut_cpu_us']:.1f} us/push "
                 f"mock_cpu={d['mock_cpu_us']:.1f} us/req")
    print(line)

med = statistics.median
print()
for k in sorted({k for k, m in rows if m.startswith("steady-")}):
    for mode in sorted({m for kk, m in rows if kk == k
                        and m.startswith("steady-")}):
        s = rows[(k, mode)]
        print(f"rate={k}/s durability={mode[7:]}: "
              f"p50 {med([x['p50'] for x in s]):.1f} ms, "
              f"p99 {med([x['p99'] for x in s]):.1f} ms "
              f"({min(x['p99'] for x in s):.1f}-"
              f"{max(x['p99'] for x in s):.1f}), "
              f"max {max(x['max'] for x in s):.1f} ms, p99 after 1 s "
              f"{med([x['p99_after1s'] for x in s]):.1f} ms, "
              f"p99 <= 50 ms in {sum(x['p99'] <= 50 for x in s)}/{len(s)} "
              f"runs; arrival "
              f"{med([x['arrival']['rate'] for x in s]):.0f}/s, "
              f"{med([x['arrival']['per_call_mean'] for x in s]):.1f} "
              f"per call")
for k in sorted({k for k, m in rows if not m.startswith("steady-")}):
    base = rows.get((k, "baseline"), [])
    b = med([x["rate"] for x in base]) if base else None
    if b:
        print(f"K={k} baseline h2load -c1 -m1000: {b:.0f}/s "
              f"(min {min(x['rate'] for x in base):.0f}, "
              f"max {max(x['rate'] for x in base):.0f})")
    for mode in sorted({m for kk, m in rows if kk == k and m != "baseline"
                        and not m.startswith("steady-")}):
        s = rows[(k, mode)]
        rate = med([x["rate"] for x in s])
        print(f"K={k} SUT durability={mode}: {rate:.0f}/s "
              f"(min {min(x['rate'] for x in s):.0f}, "
              f"max {max(x['rate'] for x in s):.0f})"
              + (f", ratio {rate / b:.3f}x" if b else "")
              + f", p99 creation->200 {med([x['p99'] for x in s]):.0f} ms, "
              f"p50 {med([x['p50'] for x in s]):.0f} ms, "
              f"{med([x['sut_cpu_us'] for x in s]):.1f} us SUT CPU/push, "
              f"auth {max(x['auth'] for x in s)}, "
              f"conns {max(x['conns'] for x in s)}, "
              f"early {max(x['early'] for x in s)}")
PY
