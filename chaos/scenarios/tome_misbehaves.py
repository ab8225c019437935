"""4. TOME misbehaves: 5 % 5xx, bursts of 429 with Retry-After, 1 % malformed answers and 1 %
hangs. The refill completes or ends partial with a clear status, and every stored pair is one
TOME agrees with; a later run with TOME healthy finishes the work with no token leaked."""

import re
import threading

from outcome import Outcome

TOKEN = re.compile(r"^ns[12]_[0-9A-Za-z]{22}$")


def bad_pairs(h):
    """Stored pairs that are malformed, or whose NS2 reference TOME maps to another NS1 token."""
    rows = [line.split("\t") for line in h.psql(
        "SELECT ns1_token, ns2_token FROM token_pool UNION ALL SELECT ns1_token, ns2_token FROM token_assignment").splitlines()]
    bad = sum(1 for ns1, ns2 in rows if not (TOKEN.match(ns1) and TOKEN.match(ns2) and ns1.startswith("ns1_") and ns2.startswith("ns2_")))
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        values = h.simulator.detokenize("NS2", [ns2 for _, ns2 in chunk], h.secrets["tome token"])
        bad += sum(1 for ns1, ns2 in chunk if values.get(ns2) != ns1)
    return bad, len(rows)


def run(h, quick):
    outcome = Outcome("TOME misbehaves")
    h.reset_tables()
    h.simulator.reset()
    target = 20_000 if quick else 60_000
    faults = dict(latencyMs=10, jitterMs=2, errorRates={"500": 0.02, "502": 0.01, "503": 0.02}, retryAfterSeconds=0.2,
                  brokenJSONRate=0.005, wrongCountRate=0.0025, duplicateTokenRate=0.0025, hangRate=0.01, hangMs=2000)
    h.simulator.faults(**faults)
    stop = threading.Event()
    bursts = [0]

    def burst_429s():
        # Every so often, ten calls in a row are turned away with 429 and Retry-After.
        while not stop.wait(h.rng.uniform(1.0, 2.5)):
            h.simulator.faults(nextFaults=["429"] * 10, **faults)
            bursts[0] += 1

    burster = threading.Thread(target=burst_429s)
    burster.start()
    env = dict(POOL_TARGET=target, REFILL_MAX_PAIRS=target, TOME_BATCH_SIZE=100, TOME_CONCURRENCY=8,
               TOME_REQUEST_TIMEOUT_MS=1000, TOME_MAX_ATTEMPTS=4, REFILL_LEASE_SECONDS=10)
    code, summary = h.refill_until_done("refill-faulty-tome", **env)
    stop.set()
    burster.join()
    stats = h.simulator.stats()
    h.simulator.faults()
    status = summary.get("status")
    bad_after_faults, checked = bad_pairs(h)

    code_after, summary_after = h.refill_until_done("refill-healthy-tome", **env)
    pool, assigned, duplicates = h.pair_accounting()
    issued = max(h.simulator.issued("NS1"), h.simulator.issued("NS2"))
    inserted = h.scalar("SELECT coalesce(sum(pairs_inserted), 0) FROM refill_batch")
    bad_final, _ = bad_pairs(h)

    outcome.figures = {
        "faults_injected": stats["faults"], "bursts_of_429": bursts[0], "status_under_faults": status,
        "exit_under_faults": code, "pairs_after_faulty_run": checked, "error": (summary.get("error") or "")[:200],
        "bad_pairs": bad_after_faults + bad_final, "status_when_healthy": summary_after.get("status"), "pool": pool,
        "tokens_issued": issued,
    }
    # Succeeded, or stopped early (partial, failed, or an error before planning) saying why, with
    # TOME's exit status (5, or 6 when the namespace check could not be done), and never blaming
    # onboarding for what was only rate limiting or a 5xx.
    error = summary.get("error") or ""
    clear = status == "succeeded" and code == 0 or (
        status in ("partial", "failed", "error") and code in (5, 6) and "TOME" in error and "onboarding" not in error)
    outcome.check(clear, "the faulty run ended %s (exit %s) without a clear status" % (status, code))
    outcome.check(stats["faultsInjected"] > 0, "no fault was served")
    outcome.check(bad_after_faults + bad_final == 0, "%d bad pairs stored" % (bad_after_faults + bad_final))
    outcome.check(code_after == 0 and pool == target, "the healthy run ended %s with pool %d" % (summary_after.get("status"), pool))
    outcome.add("duplicates", duplicates)
    outcome.add("lost", inserted - (pool + assigned))
    outcome.add("leaked", issued - (pool + assigned))
    outcome.summary = "%s under %d faults (%d burst(s) of 429); 0 bad of %d pairs checked; healthy run: pool %d/%d" % (
        status, stats["faultsInjected"], bursts[0], checked, pool, target)
    return outcome
