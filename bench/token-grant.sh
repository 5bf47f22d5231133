#!/usr/bin/env bash
# Token grants per second at the store's default hash cost
# (PBKDF2-HMAC-SHA256, 600 000 iterations), hashing in nginx's thread pool
# with 2 workers.  No baseline: the figure is the cost of the password hash.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$(bench_dir token)
export MOBILITY_STORE="$out/store"
"$ctl" store init >/dev/null
"$ctl" domain add contoso.com >/dev/null
printf 'Passw0rd!\n' | "$ctl" user add alice@contoso.com --password-stdin \
    >/dev/null

cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=64m;
thread_pool default threads=2;
events { worker_connections 1024; }
http {
    access_log off;
    mobility_signin_lockout user=1000000 address=1000000;
    server {
        listen 127.0.0.1:18183;
        location = /WebTicket/oauthtoken { mobility_token; }
    }
}
CONF

cat > "$out/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "grant_type=password&username=alice@contoso.com&password=Passw0rd%21"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

nginx_start "$out"
trap 'nginx_stop "$out"' EXIT
sleep 0.5

curl -sf -o /dev/null "http://127.0.0.1:18183/WebTicket/oauthtoken" \
    --data 'grant_type=password&username=alice@contoso.com&password=Passw0rd%21'

echo "token grant: 600000 PBKDF2 iterations, 2 workers, thread pool of 2, wrk -t1 -c8 -d${duration}s"
wrk -t1 -c8 -d"${duration}s" --latency -s "$out/post.lua" \
    http://127.0.0.1:18183/WebTicket/oauthtoken | tee "$out/wrk.txt" \
    | grep -E "Requests/sec|50%|99%|Non-2xx"
