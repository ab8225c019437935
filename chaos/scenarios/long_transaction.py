"""6. Long transaction: a transaction held open (pinning the xmin horizon) while reservations
run. Claimed rows cannot be vacuumed while it is open, so claims step over more and more dead
tuples: this measures how much throughput and p99 suffer, and that nothing breaks.

An hour of claims under the pinned horizon is played in bulk first (pairs moved to the
assignments at random places in the key range, as reservers take them), then 16 reservers run."""

import json

from harness import session
from outcome import Outcome


def reserve(h, seconds):
    """16 reservers for `seconds`; a failed run counts as a crash (through the harness) and as no progress."""
    process = h.reserver("reserve", seconds, 0.5)
    if h.finish(process, seconds + 120, expected={0}) != 0:
        return {"per_second": 0, "p99_ms": 0, "reservations": 0}
    return json.loads(open(process.out_path).read())


def dead_tuples(h):
    return h.scalar("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'token_pool'")


def run(h, quick):
    outcome = Outcome("long transaction")
    inserted = h.fresh_pool(300_000 if quick else 1_000_000, "l")
    seconds = 4 if quick else 15
    baseline = reserve(h, seconds)
    h.psql("VACUUM token_pool")

    holder = session(h, "long-transaction")
    holder.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
    holder.query("SELECT count(*) FROM token_pool")  # takes the snapshot that pins xmin
    pinned = [reserve(h, seconds)]
    h.drain_to_assignments(inserted // 3, "pinned", order="random()")
    pinned.append(reserve(h, seconds))
    h.psql("VACUUM token_pool")  # cannot remove what the open snapshot may still see
    dead_while_pinned = dead_tuples(h)
    oldest = h.psql("SELECT coalesce(max(extract(epoch FROM now() - xact_start))::int, 0) FROM pg_stat_activity "
                    "WHERE state LIKE 'idle in transaction%' AND datname = current_database()")
    holder.query("COMMIT")
    holder.close()
    h.psql("VACUUM token_pool")
    recovered = reserve(h, seconds)

    pool, assigned, duplicates = h.pair_accounting()
    ratio = lambda run: round(run["per_second"] / baseline["per_second"], 2) if baseline["per_second"] else 0
    outcome.figures = {
        "baseline": baseline, "pinned_first": pinned[0], "pinned_second": pinned[1], "after_commit_and_vacuum": recovered,
        "throughput_ratio_pinned_second": ratio(pinned[1]), "throughput_ratio_recovered": ratio(recovered),
        "p99_ratio_pinned_second": round(pinned[1]["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else 0,
        "dead_tuples_while_pinned": dead_while_pinned, "oldest_transaction_s": int(oldest or 0),
    }
    outcome.check(all(run["reservations"] > 0 for run in [baseline, *pinned, recovered]), "a reservation run made no progress")
    outcome.check(dead_while_pinned > 0, "vacuum removed the claimed rows although a snapshot pinned them")
    outcome.add("duplicates", duplicates)
    outcome.add("lost", inserted - (pool + assigned))
    outcome.summary = "16 reservers: %.0f/s, p99 %.1f ms; xmin pinned: %.0f/s, then with a third of the pool claimed %.0f/s, p99 %.1f ms (%d dead tuples); after commit + vacuum %.0f/s" % (
        baseline["per_second"], baseline["p99_ms"], pinned[0]["per_second"], pinned[1]["per_second"], pinned[1]["p99_ms"],
        dead_while_pinned, recovered["per_second"])
    return outcome
