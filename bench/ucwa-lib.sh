# Helpers of the UCWA benchmarks (w2-ucwa-get.sh, w4-pget-park.sh,
# wake-latency.sh), on top of lib.sh: the C client, provisioning users,
# tokens and applications, and reading workers' memory and CPU from /proc.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

password='Passw0rd!'

# builds bench/ucwa_client.c into $out
build_client() {
    gcc -O2 -Wall -o "$out/ucwa_client" "$top/bench/ucwa_client.c"
    client="$out/ucwa_client"
}

# now in seconds, with fractions
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# provision FIRST COUNT: users userNNNNNN@contoso.com with a directory
# entry (name, e-mail, title, phone), PBKDF2 at the minimum cost (1000
# iterations) so that sign-in is not what the setup measures; the store
# must exist
provision_users() {
    local first=$1 count=$2
    python3 - "$first" "$count" "$password" > "$out/users-$first.csv" <<'PY'
import sys
first, count, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("sip,name,email,title,department,work_phone,password")
for i in range(first, first + count):
    print(f"user{i:06d}@contoso.com,User {i:06d},user{i:06d}@contoso.com,"
          f"Engineer,Mobility,+1 425 55{i // 10000 % 10}-{i % 10000:04d},{pw}")
PY
    "$ctl" user import "$out/users-$first.csv" --password-column >/dev/null
    tail -n +2 "$out/users-$first.csv" | cut -d, -f1 > "$out/users-$first.txt"
}

store_init() {
    export MOBILITY_STORE="$out/store"
    "$ctl" --size "${1:-1024m}" store init --password-iterations 1000 >/dev/null
    "$ctl" domain add contoso.com >/dev/null
}

# worker pids of the nginx whose prefix is $1
workers() {
    local master
    master=$(cat "$1/nginx.pid")
    pgrep -P "$master" | sort -n | while read -r p; do
        grep -q '^nginx: worker' "/proc/$p/cmdline" 2>/dev/null \
            && echo "$p"; true
    done
}

# waits until the nginx of prefix $1 has N workers
wait_workers() {
    local n=$2 i
    for i in $(seq 1 100); do
        [ -f "$1/nginx.pid" ] && [ "$(workers "$1" | wc -l)" -ge "$n" ] && return 0
        sleep 0.1
    done
    echo "nginx in $1 did not start its workers" >&2
    return 1
}

# stub_status "Writing" at port $1
stub_writing() {
    curl -s "http://127.0.0.1:$1/status" | awk '/Writing/ { print $4 }'
}

# memory and CPU of processes as one JSON object per pid on stdout
proc_snapshot() {
    python3 - "$@" <<'PY'
import json, os, sys
out = {}
for pid in sys.argv[1:]:
    d = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
            d[k] = int(v.split()[0]) * 1024
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            k, _, v = line.partition(":")
            if k.startswith("Pss") or k in ("Rss", "Private_Dirty",
                                             "Private_Clean", "Shared_Clean",
                                             "Shared_Dirty"):
                d["smaps." + k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    d["utime"], d["stime"] = int(st[11]), int(st[12])
    d["sched_ns"] = int(open(f"/proc/{pid}/schedstat").read().split()[0])
    d["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    out[pid] = d
mem = {}
for line in open("/proc/meminfo"):
    k, _, v = line.partition(":")
    if k in ("Slab", "SUnreclaim", "SReclaimable"):
        mem[k] = int(v.split()[0]) * 1024
out["meminfo"] = mem
for line in open("/proc/net/sockstat"):
    if line.startswith("TCP:"):
        f = line.split()
        out["sockstat_tcp"] = dict(zip(f[1::2], map(int, f[2::2])))
print(json.dumps(out))
PY
}

# lib.sh's nginx_stop, but waits until the master has exited (the next
# nginx may need the same ports right away)
nginx_stop() {
    local pid i
    pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 0
    "$nginx" -p "$1" -c "$1/nginx.conf" -s quit 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "nginx $pid did not quit in 10 s" >&2
}
