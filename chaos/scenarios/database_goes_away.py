"""5. Database goes away: PostgreSQL stopped in the middle of a refill and of card creation.
The job exits non-zero with a clear error, card-app answers 503, nothing hangs; after the
restart everything completes and nothing is lost."""

import http.client
import json
import threading
import time
import urllib.parse

from outcome import Outcome


def refill_part(h, outcome, quick):
    h.reset_tables()
    h.simulator.reset()
    h.simulator.faults(latencyMs=10, jitterMs=2)
    target = 40_000 if quick else 100_000
    env = dict(POOL_TARGET=target, REFILL_MAX_PAIRS=target, TOME_BATCH_SIZE=100, TOME_CONCURRENCY=4, REFILL_LEASE_SECONDS=5)
    process = h.job("refill-db-down", ["refill", "--json"], **env)
    time.sleep(h.rng.uniform(0.8, 1.5))
    h.postgres("stop")
    stopped = time.time()
    code = h.finish(process, 300)
    gave_up_s = round(time.time() - stopped, 1)
    output = open(process.out_path).read() + open(process.err_path, errors="replace").read()
    h.postgres("start")
    h.wait_for_lease()
    code_after, summary = h.refill_until_done("refill-db-back", **env)
    pool, assigned, duplicates = h.pair_accounting()
    inserted = h.scalar("SELECT coalesce(sum(pairs_inserted), 0) FROM refill_batch")
    issued = max(h.simulator.issued("NS1"), h.simulator.issued("NS2"))
    outcome.figures["refill"] = {"exit_while_down": code, "seconds_to_give_up": gave_up_s,
                                 "status_after_restart": summary.get("status"), "pool": pool, "target": target}
    outcome.check(code not in (0, None), "the job exited %s with the database gone" % code)
    outcome.check("database" in output.lower(), "the job's output does not say the database is the problem")
    outcome.check(code_after == 0 and pool == target, "after the restart: %s, pool %d/%d" % (summary.get("status"), pool, target))
    outcome.add("duplicates", duplicates)
    outcome.add("lost", inserted - (pool + assigned))
    outcome.add("leaked", issued - (pool + assigned))
    return gave_up_s


def card_part(h, outcome, quick):
    h.fresh_pool(50_000, "d")
    app = h.start_card_app(DATABASE_MAX_CONNECTIONS=8)
    url = urllib.parse.urlsplit(app.url)
    token = h.secrets["card-app token"]
    answers = []  # (status, seconds, card id or None)
    stop = threading.Event()

    def create(worker):
        count = 0
        while not stop.is_set():
            count += 1
            started = time.time()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            try:
                connection.request("POST", "/v1/cards", json.dumps({"customerId": "c-%d-%d" % (worker, count)}),
                                   {"Authorization": "Bearer " + token, "Content-Type": "application/json",
                                    "Idempotency-Key": "down-%d-%d" % (worker, count)})
                response = connection.getresponse()
                body = response.read()
                card = json.loads(body)["cardId"] if response.status in (200, 201) else None
                answers.append((response.status, time.time() - started, card))
            except (OSError, http.client.HTTPException) as error:
                answers.append(("no answer: %s" % type(error).__name__, time.time() - started, None))
            finally:
                connection.close()
            if answers[-1][0] != 201:
                time.sleep(0.05)

    workers = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(2)
    h.postgres("stop")
    time.sleep(12 if quick else 30)  # longer than the 10 s a request waits for the database
    ready_while_down = readiness(app.url)
    h.postgres("start")
    time.sleep(3)
    stop.set()
    for worker in workers:
        worker.join()
    ready_after = readiness(app.url)
    h.stop_server(app)

    created = [card for status, _, card in answers if status in (200, 201)]
    stored = set(h.psql("SELECT card_id FROM card").splitlines())
    statuses = {}
    for status, _, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    slowest = max(seconds for _, seconds, _ in answers)
    pool, assigned, duplicates = h.pair_accounting()
    outcome.figures["card_creation"] = {"answers": statuses, "slowest_answer_s": round(slowest, 2),
                                        "ready_while_down": ready_while_down, "ready_after": ready_after}
    outcome.check(statuses.get("503", 0) > 0, "no 503 while the database was down")
    outcome.check(slowest < 30, "a request hung for %.1f s" % slowest)
    outcome.check(ready_while_down == 503 and ready_after == 200, "readiness said %s while down, %s after" % (ready_while_down, ready_after))
    after_restart = [status for status, _, _ in answers[-20:]]
    outcome.check(201 in after_restart, "no card was created after the restart")
    outcome.add("server_errors", sum(n for status, n in statuses.items() if status.startswith("5") and status != "503"))
    outcome.add("server_errors", sum(n for status, n in statuses.items() if status.startswith("no answer")))
    outcome.add("lost", sum(1 for card in created if card not in stored) + 50_000 - (pool + assigned))
    outcome.add("duplicates", duplicates)
    return statuses


def readiness(base):
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    try:
        connection.request("GET", "/health/ready")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def run(h, quick):
    outcome = Outcome("database goes away")
    try:
        gave_up_s = refill_part(h, outcome, quick)
        statuses = card_part(h, outcome, quick)
    finally:
        h.postgres("start")
    outcome.summary = "job gave up %.1f s after the stop; card-app answered %s" % (
        gave_up_s, ", ".join("%s × %s" % (n, s) for s, n in sorted(statuses.items())))
    return outcome
