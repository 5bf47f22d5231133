# Shared helpers for the benchmarks: one nginx binary, the system under test
# (SUT) and its baseline served by the same nginx in the same run, measured
# in alternating rounds with wrk pinned to CPU 0 and nginx to CPU 1.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module=${MOBILITY_MODULE:-$top/build/nginx/ngx_mobility_module.so}
ctl=${MOBILITYCTL:-$top/build/mobilityctl}
nginx=${NGINX_BIN:-/usr/sbin/nginx}
rounds=${BENCH_ROUNDS:-5}
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-64}

bench_dir() {
    local d="$top/bench/results/$1"
    rm -rf "$d"
    mkdir -p "$d/logs"
    echo "$d"
}

nginx_start() {
    "$nginx" -p "$1" -c "$1/nginx.conf"
}

nginx_stop() {
    "$nginx" -p "$1" -c "$1/nginx.conf" -s quit 2>/dev/null || true
    sleep 0.5
}

# wrk_round URL [HEADER...] -> "req/s p99_ms"
wrk_round() {
    local url=$1; shift
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    taskset -c 0 wrk -t1 -c"$conns" -d"${duration}s" --latency "${args[@]}" \
        "$url" 2>&1 | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                   if (u == "us") v = v / 1000; else if (u == "s") v = v * 1000;
                   p99 = v }
        END { printf "%s %s\n", rps, p99 }'
}

# alternate baseline and SUT; prints a summary with medians and ratios
compare() {
    local name=$1 base_url=$2 sut_url=$3; shift 3
    local i b s
    : > "$out/rounds.txt"
    for i in $(seq 1 "$rounds"); do
        b=$(wrk_round "$base_url" "$@")
        s=$(wrk_round "$sut_url" "$@")
        echo "round $i baseline $b sut $s" | tee -a "$out/rounds.txt"
    done
    python3 - "$name" "$out/rounds.txt" <<'PY'
import statistics, sys
name, path = sys.argv[1], sys.argv[2]
b_rps, b_p99, s_rps, s_p99 = [], [], [], []
for line in open(path):
    f = line.split()
    b_rps.append(float(f[3])); b_p99.append(float(f[4]))
    s_rps.append(float(f[6])); s_p99.append(float(f[7]))
m = statistics.median
print(f"{name}: baseline {m(b_rps):.0f} req/s (min {min(b_rps):.0f}, max {max(b_rps):.0f}), "
      f"p99 {m(b_p99):.2f} ms")
print(f"{name}: SUT      {m(s_rps):.0f} req/s (min {min(s_rps):.0f}, max {max(s_rps):.0f}), "
      f"p99 {m(s_p99):.2f} ms")
print(f"{name}: ratio    {m(s_rps)/m(b_rps):.3f}x req/s, {m(s_p99)/m(b_p99):.3f}x p99")
PY
}

# open-loop latency at a fixed rate (no coordinated omission):
# h2load_p99 URL RATE -> "p50 ... p99 ..." over BENCH_DURATION seconds,
# from h2load's per-request log
h2load_p99() {
    local url=$1 rate=$2 clients=16 log
    command -v h2load >/dev/null \
        || apt-get install -y -qq nghttp2-client >/dev/null
    log=$(mktemp)
    taskset -c 0 h2load --h1 -c "$clients" \
        --rps $(( (rate + clients - 1) / clients )) -D "$duration" \
        --log-file="$log" "$url" >/dev/null 2>&1
    python3 - "$log" <<'PY'
import sys
d = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
if not d:
    print("no samples"); sys.exit()
q = lambda p: d[min(len(d) - 1, int(p * len(d)))] / 1000
print(f"n={len(d)} p50={q(0.50):.3f} ms p99={q(0.99):.3f} ms")
PY
    rm -f "$log"
}
