#!/usr/bin/env bash
# W1 (guides/performance.md): GET of the Autodiscover root against nginx
# "return 200" with a byte-identical body and headers, same nginx binary,
# same run, alternating rounds.  Target: >= 0.90x req/s, p99 <= 1.2x.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$(bench_dir w1)
export MOBILITY_STORE="$out/store"
"$ctl" store init >/dev/null
"$ctl" domain add contoso.com >/dev/null

path='/autodiscover/autodiscoverservice.svc/root?originalDomain=contoso.com'

write_conf() {
    cat > "$out/nginx.conf" <<CONF
load_module $module;
worker_processes 1;
worker_cpu_affinity 10;
error_log $out/logs/error.log warn;
pid $out/nginx.pid;
mobility_store $out/store size=64m;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    mobility_web_external https://lyncweb.contoso.com;
    mobility_web_internal https://lyncwebint.contoso.com;
    mobility_server_fqdn fe1.contoso.com;
    mobility_https on;
    server {
        listen 127.0.0.1:18181;
        location ~* ^/autodiscover/ { mobility_autodiscover; }
    }
    server {
        listen 127.0.0.1:18182;
        # the same kind of location as the module's, so that the regex
        # match is not charged to the module
        location ~* ^/autodiscover/ {
            default_type application/json;
$1
            return 200 '$2';
        }
    }
}
CONF
}

write_conf "" "{}"
nginx_start "$out"
trap 'nginx_stop "$out"' EXIT
sleep 0.5

# the SUT's exact answer becomes the baseline's
curl -s -D "$out/sut.headers" -o "$out/sut.body" "http://127.0.0.1:18181$path"
headers=$(grep -iv '^\(HTTP\|Date\|Server\|Content-Length\|Content-Type\|Connection\)' \
          "$out/sut.headers" | tr -d '\r' | grep . \
          | sed -E 's/^([^:]+): (.*)$/            add_header \1 "\2";/')
write_conf "$headers" "$(cat "$out/sut.body")"
nginx_stop "$out"
nginx_start "$out"
sleep 0.5

curl -s -D "$out/base.headers" -o "$out/base.body" "http://127.0.0.1:18182$path"
cmp "$out/sut.body" "$out/base.body"
diff <(grep -iv '^date' "$out/sut.headers") <(grep -iv '^date' "$out/base.headers")

echo "W1: $(wc -c < "$out/sut.body") byte body, $rounds rounds of ${duration}s, wrk -t1 -c$conns"
compare W1 "http://127.0.0.1:18182$path" "http://127.0.0.1:18181$path"

# p99 at half the baseline's throughput, open loop, alternating
rate=$(python3 -c "import statistics;print(int(statistics.median(float(l.split()[3]) for l in open('$out/rounds.txt'))/2))")
echo "W1 open loop at $rate req/s (h2load --h1 -c16 --rps, ${duration}s):"
for i in 1 2 3; do
    echo "  baseline $(h2load_p99 "http://127.0.0.1:18182$path" "$rate")"
    echo "  SUT      $(h2load_p99 "http://127.0.0.1:18181$path" "$rate")"
done
