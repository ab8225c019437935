"""Latency percentiles from pgbench's per-transaction logs (-l) in a directory.

Usage: pgbench_latency.py DIR WARMUP_SECONDS -> JSON {per_s, p50_ms, p99_ms, p999_ms, transactions}
The third field of each line is the transaction's latency in microseconds; under --rate it is
measured from the scheduled start (the schedule lag is part of it), as our open-loop figures are.
Transactions that ended in the first WARMUP_SECONDS are left out, as the open-loop warm-up is.
"""
import glob, json, re, sys

work, warmup = sys.argv[1], float(sys.argv[2])
rows = []
for name in glob.glob(work + "/pgbench_log.*"):
    for line in open(name):
        fields = line.split()
        if fields[2] == "skipped":
            continue
        rows.append((int(fields[4]) + int(fields[5]) / 1e6, int(fields[2]) / 1000))
rows.sort()
start = rows[0][0] - rows[0][1] / 1000
measured = sorted(latency for ended, latency in rows if ended - start >= warmup)
out = open(work + "/pgbench.out").read()
failed = re.search(r"number of failed transactions: (\d+)", out)
pct = lambda p: round(measured[min(len(measured) - 1, max(0, int(len(measured) * p + 0.999999) - 1))], 3)
span = max(1e-9, rows[-1][0] - start - warmup)
print(json.dumps({"per_s": round(len(measured) / span, 1), "answered_per_s": round(len(measured) / span, 1),
                  "transactions": len(measured), "failures": int(failed.group(1)) if failed else 0,
                  "p50_ms": pct(0.5), "p99_ms": pct(0.99), "p999_ms": pct(0.999), "max_ms": pct(1)}))
