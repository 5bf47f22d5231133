#!/usr/bin/env bash
# W2 (guides/performance.md): an authenticated GET of a UCWA resource
# (GET .../applications/<id>/me, ~0.7 KB) with W2_APPS applications
# (default 100 000, 10 per user) in the store, random application and
# token per request, against nginx "return 200" with a body of the same
# size and the same headers in the same kind of location, same nginx
# binary, same run, alternating rounds.  Target: >= 0.80x req/s.
#
# Knobs: W2_APPS (100000), W2_PER_USER (10), BENCH_ROUNDS (5),
# BENCH_DURATION (10 s), BENCH_CONNECTIONS (64), W2_WARMUP (5 s),
# W2_SETUP_CONNS (16), W2_PORT (18201; the baseline listens on +1),
# W2_KEEP (a directory: the store and the application list of the setup
# are copied there; when it holds them already, the setup is skipped and
# they are used, so that several builds are measured on one store).
# Raw numbers: bench/results/w2/
set -euo pipefail
. "$(dirname "$0")/ucwa-lib.sh"

apps=${W2_APPS:-100000}
per_user=${W2_PER_USER:-10}
warmup=${W2_WARMUP:-5}
setup_conns=${W2_SETUP_CONNS:-16}
users=$(( (apps + per_user - 1) / per_user ))
max_apps=$(( per_user > 10 ? per_user : 10 ))
sut_port=${W2_PORT:-18201}
base_port=$(( sut_port + 1 ))

out=$(bench_dir w2)
build_client

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

keep=${W2_KEEP:-}
trap 'nginx_stop "$out"' EXIT

# ---------------------------------------------------------------- setup
if [ -n "$keep" ] && [ -f "$keep/apps.txt" ] && [ -d "$keep/store" ]; then
    cp -r "$keep/store" "$out/store"
    cp "$keep/apps.txt" "$keep/setup.txt" "$out/"
    export MOBILITY_STORE="$out/store"
    echo "W2 setup: reused from $keep"
else
# durability=relaxed (MDB_NOSYNC, flushed every second) for the setup
# only; the measured configuration is the default, durability=full

t=$(now)
store_init 2048m
provision_users 1 "$users"
t_users=$(elapsed "$t")

cat > "$out/setup.conf" <<CONF
load_module $module;
worker_processes 2;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=2048m durability=relaxed flush=1s;
thread_pool default threads=2;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    mobility_signin_lockout user=1000000 address=1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1d;
    mobility_ucwa_max_apps $max_apps;
    server {
        listen 127.0.0.1:$sut_port;
        location = /WebTicket/oauthtoken { mobility_token; }
        location /ucwa/ { mobility_ucwa; }
    }
}
CONF
cp "$out/setup.conf" "$out/nginx.conf"
nginx_start "$out"
wait_workers "$out" 2

t=$(now)
"$client" tokens "$sut_port" "$setup_conns" "$out/users-1.txt" "$password" \
    > "$out/tokens.txt"
t_tokens=$(elapsed "$t")

t=$(now)
"$client" create "$sut_port" "$setup_conns" "$out/tokens.txt" "$per_user" \
    | head -n "$apps" > "$out/apps.txt"
t_create=$(elapsed "$t")
nginx_stop "$out"

n=$(wc -l < "$out/apps.txt")
[ "$n" -eq "$apps" ] || { echo "created $n applications, not $apps" >&2; exit 1; }
echo "W2 setup: $users users imported in ${t_users}s, $users tokens in ${t_tokens}s," \
     "$apps applications created in ${t_create}s" \
     "($(python3 -c "print(round($apps / $t_create))")/s, $setup_conns connections," \
     "2 workers, durability=relaxed)" | tee "$out/setup.txt"
du -sh "$out/store" | tee -a "$out/setup.txt"
if [ -n "$keep" ]; then
    mkdir -p "$keep"
    rm -rf "$keep/store"
    cp -r "$out/store" "$keep/store"
    cp "$out/apps.txt" "$out/setup.txt" "$keep/"
fi
fi
awk '{ print $1 "/me", $2 }' "$out/apps.txt" > "$out/targets.txt"

# ------------------------------------------------------ measured config

write_conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 1;
worker_cpu_affinity 10;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=2048m;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    mobility_server_fqdn fe1.contoso.com;
    mobility_ucwa_app_idle_timeout 1d;
    mobility_ucwa_max_apps $max_apps;
    server {
        listen 127.0.0.1:$sut_port;
        location /ucwa/ { mobility_ucwa; }
    }
    server {
        listen 127.0.0.1:$base_port;
        # the same kind of location as the module's
        location /ucwa/ {
            default_type "application/json; charset=utf-8";
$1
            return 200 '$2';
        }
    }
}
CONF
}

write_conf "" "{}"
nginx_start "$out"
wait_workers "$out" 1

read -r path token < <(shuf -n 1 "$out/targets.txt")
curl -s -D "$out/sut.headers" -o "$out/sut.body" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$sut_port$path"
grep -q '^HTTP/1.1 200' "$out/sut.headers"
if grep -q "[\$'\\\\]" "$out/sut.body"; then
    echo "the body has characters the baseline cannot quote" >&2; exit 1
fi

# every /me has the same size (names and ids have fixed widths)
shuf -n 20 "$out/targets.txt" | while read -r p tk; do
    curl -s -o /dev/null -w '%{http_code} %{size_download}\n' \
        -H "Authorization: Bearer $tk" "http://127.0.0.1:$sut_port$p"
done | sort | uniq -c > "$out/sizes.txt"
cat "$out/sizes.txt"

headers=$(grep -iv '^\(HTTP\|Date\|Server\|Content-Length\|Content-Type\|Connection\)' \
          "$out/sut.headers" | tr -d '\r' | grep . \
          | sed -E 's/^([^:]+): (.*)$/            add_header \1 '"'"'\2'"'"';/')
write_conf "$headers" "$(cat "$out/sut.body")"
nginx_stop "$out"
nginx_start "$out"
wait_workers "$out" 1

curl -s -D "$out/base.headers" -o "$out/base.body" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$base_port$path"
cmp "$out/sut.body" "$out/base.body"
diff <(grep -iv '^date' "$out/sut.headers") <(grep -iv '^date' "$out/base.headers")

cat > "$out/random.lua" <<'LUA'
-- a random application (path and its user's token) per request; the
-- requests are formatted once, in init, so that the generator does as
-- little as possible per request
local reqs, n = {}, 0

function init(args)
    for line in io.lines(args[1]) do
        local p, t = line:match("^(%S+) (%S+)$")
        n = n + 1
        reqs[n] = wrk.format("GET", p, { ["Authorization"] = "Bearer " .. t })
    end
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
end

function request()
    return reqs[math.random(n)]
end
LUA

worker=$(workers "$out")

# busy jiffies of all CPUs (for the CPU used by other processes)
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# round PORT SECONDS -> "req/s p99_ms non2xx wrk_cpu% nginx_cpu% other_cpu%"
# (other: both CPUs' busy time minus wrk's and nginx's, in % of one CPU)
round() {
    local port=$1 secs=$2 s0 s1 b0 b1
    s0=$(awk '{ print $1 }' "/proc/$worker/schedstat")
    b0=$(cpu_busy)
    /usr/bin/time -f '%U %S %e' -o "$out/time.txt" \
        taskset -c 0 wrk -t1 -c"$conns" -d"${secs}s" --latency \
        -s "$out/random.lua" "http://127.0.0.1:$port" -- "$out/targets.txt" \
        > "$out/wrk.txt" 2>&1
    s1=$(awk '{ print $1 }' "/proc/$worker/schedstat")
    b1=$(cpu_busy)
    cat "$out/wrk.txt" >> "$out/logs/wrk-$port.txt"
    awk -v s0="$s0" -v s1="$s1" -v b0="$b0" -v b1="$b1" -v secs="$secs" \
        -v hz="$(getconf CLK_TCK)" '
        FNR == NR { cpu = ($1 + $2) / $3 * 100; next }
        /Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        /^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                   if (u == "us") v = v / 1000; else if (u == "s") v = v * 1000;
                   p99 = v }
        END { ng = (s1 - s0) / 1e9 / secs * 100
              other = (b1 - b0) / hz / secs * 100 - cpu - ng
              printf "%s %s %d %.0f %.0f %.0f\n", rps, p99, bad, cpu, ng,
                     other < 0 ? 0 : other }' "$out/time.txt" "$out/wrk.txt"
}

echo "W2: $apps applications, $users users, GET <app>/me ($(wc -c < "$out/sut.body") byte body)," \
     "random app+token per request; $rounds rounds of ${duration}s, wrk -t1 -c$conns on CPU 0," \
     "1 nginx worker on CPU 1, durability=full"
echo "warm-up: $(round $base_port "$warmup") | $(round $sut_port "$warmup")"

: > "$out/rounds.txt"
for i in $(seq 1 "$rounds"); do
    b=$(round $base_port "$duration")
    s=$(round $sut_port "$duration")
    echo "round $i baseline $b sut $s" | tee -a "$out/rounds.txt"
done

python3 - "$out/rounds.txt" <<'PY' | tee "$out/summary.txt"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
# round i baseline rps p99 bad wrk% nginx% other% sut rps p99 bad wrk% nginx% other%
B = [[float(x) for x in r[3:9]] for r in rows]
S = [[float(x) for x in r[10:16]] for r in rows]
m = statistics.median
for name, R in (("baseline", B), ("SUT     ", S)):
    rps = [r[0] for r in R]
    print(f"W2: {name} {m(rps):.0f} req/s (min {min(rps):.0f}, max {max(rps):.0f}), "
          f"p99 {m(r[1] for r in R):.2f} ms, non-2xx {sum(r[2] for r in R):.0f}, "
          f"wrk CPU {m(r[3] for r in R):.0f}% (max {max(r[3] for r in R):.0f}%), "
          f"nginx CPU {m(r[4] for r in R):.0f}%, other processes {m(r[5] for r in R):.0f}% "
          f"(max {max(r[5] for r in R):.0f}%)")
# nginx CPU time per request: independent of whether wrk kept up
for name, R in (("baseline", B), ("SUT     ", S)):
    print(f"W2: {name} {m(r[4] / 100 / r[0] * 1e6 for r in R):.1f} us of nginx CPU per request")
cost = m(r[4] / r[0] for r in B) / m(r[4] / r[0] for r in S)
print(f"W2: CPU-cost ratio {cost:.3f}x (baseline us/request / SUT us/request)")
ratio = m(r[0] for r in S) / m(r[0] for r in B)
print(f"W2: ratio    {ratio:.3f}x req/s (target >= 0.80x: {'met' if ratio >= 0.8 else 'NOT met'}), "
      f"{m(r[1] for r in S) / m(r[1] for r in B):.3f}x p99")
if max(r[3] for r in B + S) >= 90:
    print("W2: WARNING: wrk was >= 90% busy in some round (generator-bound)")
if max(r[5] for r in B + S) >= 10:
    print("W2: WARNING: other processes used >= 10% of a CPU in some round (shared machine)")
if sum(r[2] for r in S):
    print("W2: WARNING: the SUT answered non-2xx")
PY
