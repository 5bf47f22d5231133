#!/usr/bin/env bash
# Wake-up latency (guides/performance.md §6, W5's building block): a change
# made through one worker answers a P-GET parked in the other worker.
# 2 workers, listen reuseport, an access log with $pid; each client
# connection first sends GET /probe?c=<n> and the log tells which worker
# serves it, so the P-GET and the event-causing request are put on
# different workers on purpose (and, for comparison, on the same one);
# afterwards the log is checked again and only samples whose two
# requests were logged by different pids count as cross-worker.
#
# A latency runs from just before the event-causing request is written to
# when the whole P-GET response has been read (CLOCK_MONOTONIC).  Modes:
#   delete   DELETE of the application: its P-GET answers 404 at once
#            (APP_WAKE broadcast, the same path as an event, without the
#            package)                                   <- the 2 ms target
#   replace  a second P-GET of the same channel: the first answers 409 at
#            once (APP_PARKED broadcast)
#   note     POST me/note, a medium-urgency event (all the module's
#            events are medium or low so far): the P-GET is released when
#            the 5 s hold ends; reported as latency and as lateness
#            (latency - 5000 ms)
# Target: p99 <= 2 ms for one event to a P-GET parked in the other worker.
#
# Knobs: WAKE_SAMPLES (1000 cross-worker samples per mode; delete and
# replace also take as many same-worker ones), WAKE_LANES (100 parallel
# applications in note mode), WAKE_MODES ("delete replace note"),
# WAKE_AFFINITY (worker_cpu_affinity, default "auto": one worker per
# CPU; "off" for none), WAKE_PORT (18221).  Raw numbers:
# bench/results/wake/.
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

samples=${WAKE_SAMPLES:-1000}
lanes=${WAKE_LANES:-100}
modes=${WAKE_MODES:-delete replace note}
affinity=${WAKE_AFFINITY:-auto}
port=${WAKE_PORT:-18221}

out=$(bench_dir wake)
build_client

# ---------------------------------------------------------------- setup
# delete: 2 x samples applications (10 per user); note: one application
# per user (a user's note goes to all of the user's applications);
# replace: one more

t=$(now)
store_init 1024m
del_users=$(( (2 * samples + 9) / 10 ))
provision_users 1 "$del_users"
provision_users 100001 $((lanes + 1))

conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
$( [ "$affinity" = off ] || echo "worker_cpu_affinity $affinity;" )
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=1024m$1;
thread_pool default threads=2;
events { worker_connections 4096; }
http {
    log_format wake '\$pid \$msec \$request_time \$status \$request_method \$request_uri \$connection';
    access_log $2;
    keepalive_requests 1000000;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1d;
    server {
        listen 127.0.0.1:$port reuseport backlog=4096;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
        location = /status { stub_status; access_log off; }
        location = /probe { return 204; }
    }
}
CONF
}

conf " durability=relaxed flush=1s" off
nginx_start "$out"
trap 'nginx_stop "$out"' EXIT
wait_workers "$out" 2
"$client" tokens $port 16 "$out/users-1.txt" "$password" > "$out/tokens-del.txt"
"$client" tokens $port 16 "$out/users-100001.txt" "$password" > "$out/tokens-note.txt"
"$client" create $port 16 "$out/tokens-del.txt" 10 | head -n $((2 * samples)) \
    > "$out/apps-del.txt"
"$client" create $port 16 "$out/tokens-note.txt" 1 > "$out/apps-note-all.txt"
head -n "$lanes" "$out/apps-note-all.txt" > "$out/apps-note.txt"
tail -n 1 "$out/apps-note-all.txt" > "$out/apps-replace.txt"
"$client" call $port 16 "$out/apps-note.txt" POST /me/makeMeAvailable \
    '{"SignInAs":"Online","SupportedModalities":["Messaging"]}' > "$out/mma.txt"
grep -q "^204 $lanes\$" "$out/mma.txt"
nginx_stop "$out"
echo "setup: $(elapsed "$t")s" > "$out/setup.txt"

# the measured configuration: durability=full, access log with $pid
conf "" "$out/logs/access.log wake"
nginx_start "$out"
wait_workers "$out" 2
echo "wake: 2 workers (worker_cpu_affinity $affinity), durability=full, $samples" \
     "cross-worker samples per mode; workers $(workers "$out" | tr '\n' ' ')"

for mode in $modes; do
    case $mode in
    delete)  "$client" wake $port "$out/logs/access.log" delete "$out/apps-del.txt" $((2 * samples)) ;;
    replace) "$client" wake $port "$out/logs/access.log" replace "$out/apps-replace.txt" $((2 * samples)) ;;
    note)    "$client" wake $port "$out/logs/access.log" note "$out/apps-note.txt" "$samples" "$lanes" ;;
    esac > "$out/$mode.txt"
done

nginx_stop "$out"

python3 - "$out" $modes <<'PY' | tee "$out/summary.txt"
import collections, re, sys
out, modes = sys.argv[1], sys.argv[2:]

# the access log: pid msec request_time status method uri connection
log = [l.split() for l in open(f"{out}/logs/access.log")]

def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]

def show(label, v, minus=0.0):
    v = sorted(x - minus for x in v)
    if not v:
        print(f"{label}: no samples")
        return None
    print(f"{label}: n={len(v)} p50 {pct(v, .5)/1000:.3f} ms, p90 {pct(v, .9)/1000:.3f}, "
          f"p99 {pct(v, .99)/1000:.3f}, p99.9 {pct(v, .999)/1000:.3f}, max {v[-1]/1000:.3f} ms")
    return pct(v, .99)

for mode in modes:
    rows = [l.split() for l in open(f"{out}/{mode}.txt")]
    # "<n> <kind> <us> <pget status> <event status> <pget pid> <event pid> <app>"
    bad = [r for r in rows if r[3] not in {"delete": ("404",), "replace": ("409",),
                                           "note": ("200",)}[mode]]
    if mode == "delete":
        # the log's verdict: the pid of the P-GET and of the DELETE of each app
        pg, ev = {}, {}
        for l in log:
            if l[4] == "GET" and "/events?" in l[5]:
                pg[l[5].split("/events?")[0]] = l[0]
            elif l[4] == "DELETE":
                ev[l[5]] = l[0]
        kind = {r[7]: ("cross" if pg.get(r[7]) != ev.get(r[7]) else "same") for r in rows}
    elif mode == "replace":
        # the 409s in order; the taker of sample i holds in sample i + 1
        held = [l[0] for l in log if l[3] == "409" and "/events?" in l[5]]
        kind = {}
        for i, r in enumerate(rows):
            if i + 1 < len(held):
                kind[r[0]] = "cross" if held[i] != held[i + 1] else "same"
    else:
        pg, ev = collections.defaultdict(set), collections.defaultdict(set)
        for l in log:
            app = re.sub(r"/(events\?.*|me/note)$", "", l[5])
            if l[4] == "GET" and "/events?" in l[5]:
                pg[app].add(l[0])
            elif l[4] == "POST" and l[5].endswith("/me/note"):
                ev[app].add(l[0])
        kind = {r[7]: ("cross" if not (pg[r[7]] & ev[r[7]]) else "same") for r in rows}
    key = (lambda r: r[7]) if mode != "replace" else (lambda r: r[0])
    mism = sum(1 for r in rows if kind.get(key(r), r[1]) != r[1])
    print(f"{mode}: {len(rows)} samples, {len(bad)} with an unexpected status, "
          f"{mism} whose worker pair the access log contradicts")
    cross = [float(r[2]) for r in rows if kind.get(key(r)) == "cross" and r not in bad]
    same = [float(r[2]) for r in rows if kind.get(key(r)) == "same" and r not in bad]
    if mode == "note":
        show("note  cross-worker latency", cross)
        p99 = show("note  cross-worker lateness (latency - 5000 ms hold)", cross, 5e6)
    else:
        p99 = show(f"{mode} cross-worker", cross)
        show(f"{mode} same-worker ", same)
        if mode == "delete" and p99 is not None:
            print(f"delete: cross-worker p99 {p99/1000:.3f} ms (target <= 2 ms: "
                  f"{'met' if p99 <= 2000 else 'NOT met'})")
PY
