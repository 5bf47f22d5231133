#!/usr/bin/env bash
# "make valgrind": the suite with nginx under valgrind (Test::Nginx's
# TEST_NGINX_USE_VALGRIND), then a verdict: any leak or invalid access whose
# stack passes through our code fails.  nginx's own allocations that live
# until exit in single-process mode are in valgrind.suppress.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
log=${VALGRIND_LOG:-$top/build/valgrind.log}

cd "$top"
TEST_NGINX_USE_VALGRIND=1 TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-30} \
    prove "${@:-t/}" > "$log" 2>&1
status=$?

# one valgrind record = from its "==PID== <kind>" line to the blank "==PID=="
python3 - "$log" <<'PY'
import re, sys
kinds = re.compile(r"(definitely lost|indirectly lost|Invalid (read|write|free)|"
                   r"uninitialised|Mismatched free|overlap)")
ours = re.compile(r"ngx_(http_)?mobility|mobilityctl")
bad, rec = [], []
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"==\d+== ?(.*)", line)
    if not m:
        continue
    body = m.group(1)
    if body == "":
        if rec and kinds.search(rec[0]) and any(ours.search(l) for l in rec):
            bad.append("\n".join(rec))
        rec = []
    else:
        rec.append(body)
for b in bad:
    print(b, "\n")
print(f"valgrind: {len(bad)} report(s) in our code")
sys.exit(1 if bad else 0)
PY
verdict=$?

echo "valgrind: full log in $log (prove exit $status; slow runs may time out tests)"
exit $verdict
