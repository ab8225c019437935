"""3. Refills collide: a scheduled and a manual refill started together. One fills, the other
reports who holds the lease, and the pool never exceeds its target."""

import json
import threading
import time

from harness import session
from outcome import Outcome


def last_result(path):
    """The last JSON line a job printed, or {} when it printed none."""
    lines = [line for line in open(path).read().splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def run(h, quick):
    outcome = Outcome("refills collide")
    h.reset_tables()
    h.simulator.reset()
    h.simulator.faults(latencyMs=10, jitterMs=2)
    target = 20_000
    env = dict(POOL_TARGET=target, TOME_BATCH_SIZE=100, TOME_CONCURRENCY=4, REFILL_LEASE_SECONDS=5)
    rounds = 3 if quick else 8
    highest = [0]
    stop = threading.Event()
    poller = session(h, "collide-poller")

    def watch():
        while not stop.is_set():
            highest[0] = max(highest[0], int(poller.query("SELECT count(*) FROM token_pool")[0]))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    both_filled = reported = 0
    for round_no in range(rounds):
        h.wait_for_lease()
        if round_no:
            h.drain_to_assignments(target, "collide")
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "id": "collide-%d" % round_no}
        scheduled = h.job("collide-scheduled-%d" % round_no, stdin_text=json.dumps(event), **env)
        manual = h.job("collide-manual-%d" % round_no, ["refill", "--json"], **env)
        codes = (h.finish(scheduled, 120), h.finish(manual, 120))
        results = [last_result(p.out_path) for p in (scheduled, manual)]
        statuses = [r.get("status") for r in results]
        filled = [r for r in results if r.get("status") == "succeeded" and r.get("pairsInserted", 0) > 0]
        held = [(r, other) for r, other in zip(results, (manual, scheduled)) if r.get("status") == "lease_held"]
        if len(filled) > 1:
            both_filled += 1
        for result, other in held:
            # The report names the other process, so on-call can find it.
            holder = (result.get("leaseHolder") or {}).get("holder", "")
            if "/pid-%d/" % other.pid in holder:
                reported += 1
        outcome.check(sorted(statuses) == ["lease_held", "succeeded"], "round %d ended %s (exits %s)" % (round_no, statuses, codes))
    stop.set()
    watcher.join()
    poller.close()
    pool = h.scalar("SELECT count(*) FROM token_pool")
    outcome.figures = {"rounds": rounds, "target": target, "highest_pool_seen": highest[0], "final_pool": pool,
                       "lease_reports_naming_the_holder": reported, "rounds_where_both_filled": both_filled}
    outcome.check(highest[0] <= target and pool == target, "the pool reached %d (target %d)" % (highest[0], target))
    outcome.check(reported == rounds, "%d of %d lease reports named the other process" % (reported, rounds))
    outcome.add("duplicates", h.pair_accounting()[2])
    outcome.summary = "%d rounds: one filled, the other named the holder %d times; highest pool %d/%d" % (
        rounds, reported, highest[0], target)
    return outcome
