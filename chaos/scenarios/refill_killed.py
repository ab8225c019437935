"""1. Refill killed: `kill -9` the job at random moments, some while a batch's insert is running,
then run it again. The pool reaches its target, no pair is stored twice, and every token TOME
issued is in the pool or assigned (resumed runs reuse their batches' request ids)."""

import json
import time

from harness import session
from outcome import Outcome

# The batch insert, as pg_stat_activity shows it while it runs.
BATCH_INSERT_RUNNING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND state = 'active' AND query LIKE '%INSERT INTO refill_batch%'")


def run(h, quick):
    outcome = Outcome("refill killed")
    h.reset_tables()
    h.simulator.reset()
    h.simulator.faults(latencyMs=10, jitterMs=2)
    target = 40_000 if quick else 100_000
    env = dict(POOL_TARGET=target, REFILL_MAX_PAIRS=target, TOME_BATCH_SIZE=100, TOME_CONCURRENCY=4, REFILL_LEASE_SECONDS=3)
    kills_wanted = 12 if quick else 30
    kills = inside = finished_first = attempt = 0
    poller = session(h, "refill-killed-poller")
    while kills < kills_wanted and attempt < kills_wanted * 3:
        attempt += 1
        h.wait_for_lease()
        if h.scalar("SELECT count(*) FROM token_pool") >= target * 0.9:
            # Reservations drained the pool meanwhile: there is work to kill again.
            h.drain_to_assignments(h.rng.randint(target // 4, target // 2), "drained")
        if attempt % 2:
            process = h.job("refill-%d" % attempt, ["refill", "--json"], **env)
        else:
            # An hourly event, delivered again after each kill, as Lambda's retries do: it resumes its run.
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "id": "hourly-%d" % (attempt // 6)}
            process = h.job("scheduled-%d" % attempt, stdin_text=json.dumps(event), **env)
        caught_in_insert = False
        if attempt % 3 == 0:
            # Aimed: wait until a batch insert is running, then kill in the middle of it.
            deadline = time.time() + 10
            while time.time() < deadline and process.poll() is None:
                if int(poller.query(BATCH_INSERT_RUNNING)[0]) > 0:
                    caught_in_insert = True
                    break
        else:
            time.sleep(h.rng.uniform(0.05, 1.5))
            caught_in_insert = int(poller.query(BATCH_INSERT_RUNNING)[0]) > 0
        if process.poll() is not None:
            finished_first += 1
            h.finish(process, 5)
            continue
        h.kill(process)
        process.wait()
        kills += 1
        inside += caught_in_insert
    poller.close()

    h.wait_for_lease()
    code, summary = h.refill_until_done("refill-after-kills", **env)
    pool, assigned, duplicates = h.pair_accounting()
    inserted = h.scalar("SELECT coalesce(sum(pairs_inserted), 0) FROM refill_batch")
    issued = {ns: h.simulator.issued(ns) for ns in ("NS1", "NS2")}
    unfinished = h.scalar("SELECT count(*) FROM refill_run WHERE status = 'running'")
    audit_code, mismatches = h.audit("audit-after-kills", 200)

    outcome.figures = {
        "kills": kills, "kills_during_batch_insert": inside, "kills_between_inserts": kills - inside,
        "runs_finished_before_their_kill": finished_first, "target": target, "pool": pool, "assigned": assigned,
        "pairs_inserted": inserted, "ns1_tokens_issued": issued["NS1"], "ns2_tokens_issued": issued["NS2"],
        "final_status": summary.get("status"), "unfinished_runs": unfinished, "audit_mismatches": mismatches,
    }
    outcome.check(kills >= 10, "only %d kills landed" % kills)
    outcome.check(code == 0 and summary.get("status") == "succeeded", "the run after the kills ended %s" % summary.get("status"))
    outcome.check(pool == target, "pool %d != target %d" % (pool, target))
    outcome.check(unfinished == 0, "%d runs left unfinished" % unfinished)
    outcome.check(audit_code == 0 and mismatches == 0, "audit found %s mismatches" % mismatches)
    outcome.add("duplicates", duplicates)
    outcome.add("lost", inserted - (pool + assigned))
    outcome.add("leaked", max(issued["NS1"], issued["NS2"]) - (pool + assigned))
    outcome.summary = "%d kills (%d during a batch insert); pool %d/%d; issued %d, stored %d" % (
        kills, inside, pool, target, issued["NS1"], pool + assigned)
    return outcome
