"""Folds scripts/bench's runs into the JSON the team tracks and prints the README's tables.

Usage: report.py RUNS.jsonl OUT.json QUICK(yes|no) POOL_MAX DIRECT_MAX
Every figure that is compared with a baseline was run interleaved with it several times: a
ratio is taken per pair of runs and the median of those ratios is reported beside each run.
"""
import json, statistics, sys

runs = [json.loads(line) for line in open(sys.argv[1])]
quick, pool_max, direct_max = sys.argv[3] == "yes", float(sys.argv[4]), float(sys.argv[5])
median = statistics.median


def pick(**match):
    return [r for r in runs if all(r.get(k) == v for k, v in match.items())]


def medians(group, keys):
    return {k: round(median(r[k] for r in group), 3) for k in keys if group and all(k in r for r in group)}


out = {"mode": "quick" if quick else "full", "runs": runs}

refills = pick(figure="refill")
for r in refills:
    r["bound_s"] = max(r["tome_bound_s"], r["pg_bound_s"])
    r["ratio_to_bound"] = round(r["wall_s"] / r["bound_s"], 3)
out["refill"] = medians(refills, ["wall_s", "bound_s", "tome_bound_s", "pg_bound_s", "peak_rss_mb", "pairs_per_s", "tome_calls"])
out["refill"]["ratio_to_bound_median"] = round(median(r["ratio_to_bound"] for r in refills), 3)
out["refill"]["ratio_to_bound_runs"] = [r["ratio_to_bound"] for r in refills]
sweep = pick(figure="refill_sweep")
if sweep:
    out["refill_sweep"] = sweep

for shape, key in [("statement", "reservation"), ("transaction", "reservation_in_transaction")]:
    out[key] = {}
    for clients in sorted({r["clients"] for r in pick(figure="reservation")}):
        group = pick(figure="reservation", shape=shape, clients=clients)
        ratios = [round(r["per_second"] / r["pgbench"]["per_s"], 3) for r in group]
        out[key]["c%d" % clients] = {
            "ratio_to_pgbench_median": round(median(ratios), 3), "ratio_to_pgbench_runs": ratios,
            "ours_per_s": round(median(r["per_second"] for r in group), 1),
            "pgbench_per_s": round(median(r["pgbench"]["per_s"] for r in group), 1),
            "p50_ms": round(median(r["p50_ms"] for r in group), 3), "p99_ms": round(median(r["p99_ms"] for r in group), 3),
            "p999_ms": round(median(r["p999_ms"] for r in group), 3),
            "pgbench_p99_ms": round(median(r["pgbench"]["p99_ms"] for r in group), 3),
        }

closed = {path: medians(pick(figure="closed_loop", path=path), ["rps", "p50_ms", "p99_ms", "errors", "tome_calls_per_card", "statements_per_card"])
          for path in ("pool", "direct")}
out["card_creation"] = {
    "round_trips_per_pooled_card": closed["pool"]["statements_per_card"],
    "round_trips_per_direct_card": closed["direct"]["statements_per_card"],
    "tome_calls_per_pooled_card": closed["pool"]["tome_calls_per_card"],
    "tome_calls_per_direct_card": closed["direct"]["tome_calls_per_card"],
    "closed_loop": closed,
}

percentiles = ["p50_ms", "p99_ms", "p999_ms", "answered_per_s", "failures"]
out["open_loop"] = {"pool_closed_loop_max_per_s": pool_max, "direct_closed_loop_max_per_s": direct_max}
for operation in ("card_creation", "detokenize"):
    out["open_loop"][operation] = {}
    for level in sorted({r["level"] for r in pick(figure="open_loop", operation=operation)}, key=lambda l: int(l[1:])):
        entry = {}
        for path in sorted({r["path"] for r in pick(figure="open_loop", operation=operation, level=level)}):
            group = pick(figure="open_loop", operation=operation, level=level, path=path)
            entry["rate"] = group[0]["rate"]
            entry[path] = medians(group, percentiles)
            entry[path]["kept_up"] = all(r["failures"] == 0 and r["answered_per_s"] >= 0.95 * r["rate"] for r in group)
            if all("cpu_ms_per_request" in r for r in group):
                entry[path]["cpu_ms_per_request"] = {k: round(median(r["cpu_ms_per_request"][k] for r in group), 3)
                                                     for k in group[0]["cpu_ms_per_request"]}
        if operation == "card_creation" and "direct" not in entry:
            entry["direct"] = {"skipped": "above 90 %% of approach 1's closed-loop maximum (%.0f/s)" % direct_max}

        def per_run(mine, theirs, f):
            pairs = zip(pick(figure="open_loop", operation=operation, level=level, path=mine),
                        pick(figure="open_loop", operation=operation, level=level, path=theirs))
            values = [round(f(a["p99_ms"], b["p99_ms"]), 3) for a, b in pairs]
            return {"median": round(median(values), 3), "runs": values} if values else None

        if operation == "card_creation":
            entry["pool_p99_minus_pgbench_ms"] = per_run("pool", "pgbench", lambda a, b: a - b)
            entry["pool_p99_to_direct"] = per_run("pool", "direct", lambda a, b: a / b)
        else:
            entry["p99_ratio_database_to_tome"] = per_run("database", "tome", lambda a, b: a / b)
        out["open_loop"][operation][level] = entry

out["startup_ms"] = pick(figure="startup")[0]["startup_ms"]
json.dump(out, open(sys.argv[2], "w"), indent=2, sort_keys=True)

fmt = lambda x: "%.2f" % x
r = out["refill"]
print("Closed loop (median of %d interleaved runs):\n" % len(refills))
print("| figure | ours | baseline (same run) | ratio, median (runs) |")
print("| --- | --- | --- | --- |")
print("| refill 100,000 pairs (batch 500, concurrency 8) | %.2f s, %d pairs/s, peak RSS %.1f MB | bound %.2f s (TOME %.2f s, PostgreSQL `\\copy` + `INSERT` %.2f s) | %.2f × bound (%s) |"
      % (r["wall_s"], r["pairs_per_s"], r["peak_rss_mb"], r["bound_s"], r["tome_bound_s"], r["pg_bound_s"], r["ratio_to_bound_median"],
         ", ".join(fmt(x) for x in r["ratio_to_bound_runs"])))
for key, label in [("reservation", "one statement"), ("reservation_in_transaction", "BEGIN, claim, COMMIT")]:
    for c, v in sorted(out[key].items(), key=lambda kv: int(kv[0][1:])):
        print("| reservations, %s, %s clients | %.0f /s, p99 %.2f ms | pgbench %.0f /s, p99 %.2f ms | %.2f × pgbench (%s) |"
              % (label, c[1:], v["ours_per_s"], v["p99_ms"], v["pgbench_per_s"], v["pgbench_p99_ms"], v["ratio_to_pgbench_median"],
                 ", ".join(fmt(x) for x in v["ratio_to_pgbench_runs"])))
c = out["card_creation"]
print("| card creation over HTTP, most per second (`wrk -c16`) | pool %.0f /s, %.2f statements and %.2f TOME calls per card | approach 1 %.0f /s, %.2f statements and %.2f TOME calls per card | |"
      % (closed["pool"]["rps"], c["round_trips_per_pooled_card"], c["tome_calls_per_pooled_card"], closed["direct"]["rps"],
         c["round_trips_per_direct_card"], c["tome_calls_per_direct_card"]))
print("| job start-up to the first Runtime API request | %.1f ms | | |" % out["startup_ms"])

print("\nOpen loop: fixed arrival rate, latency from each request's intended start, p50 / p99 / p99.9 in ms (median of runs):\n")
print("| operation | rate | ours | pgbench, same statement | approach 1 (TOME 10 ± 2 ms) | ours against them, p99 (median) |")
print("| --- | --- | --- | --- | --- | --- |")
trio = lambda v: "%.2f / %.2f / %.2f%s" % (v["p50_ms"], v["p99_ms"], v["p999_ms"], "" if v.get("kept_up", True) else " (fell behind)")
for level, e in out["open_loop"]["card_creation"].items():
    direct = trio(e["direct"]) if "p99_ms" in e["direct"] else "not run: " + e["direct"]["skipped"]
    versus = "%+.2f ms vs pgbench" % e["pool_p99_minus_pgbench_ms"]["median"]
    if e["pool_p99_to_direct"]:
        versus += "; %.3f × approach 1" % e["pool_p99_to_direct"]["median"]
    print("| card creation, %s %% of max | %.0f /s | %s | %s | %s | %s |" % (level[1:], e["rate"], trio(e["pool"]), trio(e["pgbench"]), direct, versus))
for level, e in out["open_loop"]["detokenize"].items():
    print("| detokenize, %s %% of card max | %.0f /s | lookup %s | | TOME NS2 detokenize %s | %.3f × TOME |"
          % (level[1:], e["rate"], trio(e["database"]), trio(e["tome"]), e["p99_ratio_database_to_tome"]["median"]))

print("\nCPU per request at 50 % of the maximum, ms (median of runs; two cores serve all of it):\n")
print("| path | server | PostgreSQL | load generator |")
print("| --- | --- | --- | --- |")
r50 = out["open_loop"]["card_creation"].get("r50", {})
for path, label in [("pool", "card creation, pool (`card-app`)"), ("pgbench", "card creation, pgbench (same statement)"), ("direct", "card creation, approach 1")]:
    cpu = r50.get(path, {}).get("cpu_ms_per_request")
    if cpu:
        print("| %s | %.2f | %.2f | %.2f |" % (label, cpu["server"], cpu["postgres"], cpu["load_generator"]))
for path, label in [("database", "detokenize, lookup (`card-app`)"), ("tome", "detokenize, TOME simulator")]:
    cpu = out["open_loop"]["detokenize"].get("r50", {}).get(path, {}).get("cpu_ms_per_request")
    if cpu:
        print("| %s | %.2f | %.2f | %.2f |" % (label, cpu["server"], cpu["postgres"], cpu["load_generator"]))
