#!/usr/bin/env python3
# W7 steady arrival (bench/w7-push.sh, W7_RATE): queues RATE test pushes
# a second for SECONDS through `mobilityctl push-target test`, open loop.
# Every tick it queues what the clock says is due (RATE x elapsed -
# queued, at most RATE / 20 in one call), so the number per call adapts to
# how long a CLI run (process start, one write transaction, the wake-up)
# takes; with nothing due it sleeps until the next push is.  The devices
# ("sip endpoint token" lines) take turns.  Prints the arrival process it
# achieved as JSON: calls, pushes per call, call durations, the gaps
# between the starts of calls, the rate.
#
#   w7-arrive.py CTL DEVICES RATE SECONDS

import json
import subprocess
import sys
import time

ctl, devices, rate, seconds = (sys.argv[1], sys.argv[2], float(sys.argv[3]),
                               float(sys.argv[4]))
devs = [line.split()[:2] for line in open(devices) if line.strip()]
cap = max(1, int(rate / 20))
total = int(rate * seconds)

queued = 0
calls = []                     # (start s, pushes, duration ms)
start = time.monotonic()
d = 0

while queued < total:
    t = time.monotonic() - start
    due = min(total, int(rate * t) + 1) - queued
    if due <= 0:
        time.sleep((queued + 1) / rate - t)
        continue
    n = min(due, cap)
    sip, ep = devs[d % len(devs)]
    d += 1
    t0 = time.monotonic()
    subprocess.run([ctl, "push-target", "test", sip, ep, "--count", str(n),
                    "--text", "W7 bench"], stdout=subprocess.DEVNULL,
                   check=True)
    calls.append((t0 - start, n, (time.monotonic() - t0) * 1000))
    queued += n

span = time.monotonic() - start


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


gaps = [(b[0] - a[0]) * 1000 for a, b in zip(calls, calls[1:])] or [0]
per = [c[1] for c in calls]
dur = [c[2] for c in calls]
print(json.dumps({
    "target_rate": rate, "seconds": seconds, "queued": queued,
    "span": span, "rate": queued / span, "calls": len(calls),
    "per_call_mean": sum(per) / len(per), "per_call_max": max(per),
    "call_ms_p50": pct(dur, .5), "call_ms_p99": pct(dur, .99),
    "gap_ms_p50": pct(gaps, .5), "gap_ms_max": max(gaps),
}))
