"""7. Hostile input: thousands of generated malformed or oversized events through the job's
Lambda mode (0 crashes, 0 accepted, 0 writes), and card-app requests with bad auth, broken
JSON, huge bodies, SQL-looking and Unicode-edge input (4xx only, 0 cards written)."""

import http.client
import json
import os
import signal
import time
import urllib.parse

from hostile import EventGenerator, card_app_abuse
from outcome import Outcome
from runtime_api import RuntimeAPI


def events_part(h, outcome, count):
    events = EventGenerator(h.rng).events(count)
    api = RuntimeAPI()
    writes_before = h.write_count()
    env = dict(AWS_LAMBDA_RUNTIME_API=api.endpoint, LOG_LEVEL="info")
    starts = 0
    process = None
    kinds = {}
    for index, event in enumerate(events):
        if process is None or process.poll() is not None:
            if process is not None:
                h.finish(process, 5)
                h.crashes.append("the job died on event %d: %r" % (index - 1, events[index - 1][:120]))
            starts += 1
            process = h.job("lambda-hostile-%d" % starts, **env)
        api.events.put(event)
        if not api.wait_for_answers(index + 1, 30):
            h.crashes.append("no answer to event %d within 30 s: %r" % (index, event[:120]))
            h.kill(process)
            process.wait()
            process = None
            api.answers["lost-%d" % index] = ("none", b"")
    h.kill(process, signal.SIGTERM)
    code = process.wait(timeout=15)
    api.close()
    time.sleep(1)  # the job's database sessions have ended; their statistics are flushed
    writes = h.write_count() - writes_before
    accepted = 0
    for kind, body in api.answers.values():
        error_type = json.loads(body or b"{}").get("errorType", "") if kind == "error" else kind
        kinds[error_type] = kinds.get(error_type, 0) + 1
        accepted += kind == "response"
    outcome.figures["events"] = {"sent": count, "answers": kinds, "writes": writes, "process_starts": starts,
                                 "exit_on_sigterm": code, "init_errors": len(api.init_errors)}
    outcome.check(accepted == 0, "%d hostile events were accepted" % accepted)
    outcome.check(kinds.get("InvalidEvent", 0) == count, "%d of %d events rejected as InvalidEvent" % (kinds.get("InvalidEvent", 0), count))
    outcome.check(writes == 0, "%d rows written by hostile events" % writes)


def card_app_part(h, outcome):
    h.fresh_pool(1_000, "h")
    app = h.start_card_app()
    url = urllib.parse.urlsplit(app.url)
    requests = card_app_abuse(h.rng, h.secrets["card-app token"])
    by_status = {}
    bad = []
    for label, method, path, headers, body in requests:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value.encode("utf-8", "surrogatepass"))
            connection.putheader("Content-Length", str(len(body or b"")))
            connection.endheaders(body)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            status = "no answer (%s)" % type(error).__name__
        finally:
            connection.close()
        by_status[str(status)] = by_status.get(str(status), 0) + 1
        if not (isinstance(status, int) and 400 <= status < 500):
            bad.append("%s %s %s (%s) -> %s" % (label, method, path[:40], (body or b"")[:40], status))
    cards = h.scalar("SELECT count(*) FROM card")
    h.stop_server(app)
    outcome.figures["card_app"] = {"requests": len(requests), "answers": by_status, "cards_written": cards,
                                   "not_4xx": bad[:10]}
    outcome.add("server_errors", sum(1 for entry in bad if "-> 5" in entry or "no answer" in entry))
    outcome.check(not bad, "%d requests were not refused with a 4xx: %s" % (len(bad), "; ".join(bad[:5])))
    outcome.check(cards == 0, "%d cards written by hostile requests" % cards)
    return len(requests)


def run(h, quick):
    outcome = Outcome("hostile input")
    count = 10_000 if quick else 50_000
    events_part(h, outcome, count)
    requests = card_app_part(h, outcome)
    outcome.summary = "%d hostile events: %d rejected, %d writes; %d hostile requests: %s" % (
        count, outcome.figures["events"]["answers"].get("InvalidEvent", 0), outcome.figures["events"]["writes"], requests,
        ", ".join("%s × %s" % (n, s) for s, n in sorted(outcome.figures["card_app"]["answers"].items())))
    return outcome
