"""The fault and abuse suite: real binaries, a PostgreSQL cluster of its own, the TOME
simulator, and the invariants of DESIGN.md checked after every scenario. Run by scripts/chaos."""

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Harness  # noqa: E402
from outcome import TOTALS, Outcome  # noqa: E402
from scenarios import (database_goes_away, hostile_input, long_transaction, refill_killed,  # noqa: E402
                       refills_collide, reservers_killed, tome_misbehaves)

SCENARIOS = [refill_killed, reservers_killed, refills_collide, tome_misbehaves, database_goes_away,
             long_transaction, hostile_input]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--bin", required=True, help="directory of the built products")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", action="append", help="run only this scenario (module name); repeatable")
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 32)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = tempfile.mkdtemp(prefix="chaos-")
    harness = Harness(repo, options.bin, work, options.database_url, random.Random(seed))
    # Made up per run, so that finding one in a log can only mean it leaked there.
    harness.secrets = {
        "tome token": "tome-" + secrets.token_hex(16),
        "card-app token": "card-" + secrets.token_hex(16),
        "database password": urllib.parse.urlsplit(options.database_url).password or "",
    }
    subprocess.run([os.path.join(options.bin, "tome-prefetch"), "migrate"], env=harness.env(), check=True,
                   capture_output=True)
    harness.start_simulator()
    simulator_logs = list(harness.logs)
    harness.shared_logs = simulator_logs

    outcomes = []
    started = time.time()
    for module in SCENARIOS:
        name = module.__name__.split(".")[-1]
        if options.only and name not in options.only:
            continue
        print("== %s" % name, file=sys.stderr, flush=True)
        harness.begin_scenario()
        began = time.time()
        try:
            outcome = module.run(harness, options.quick)
        except Exception:  # a scenario that cannot finish is a failed scenario, with its reason
            outcome = Outcome(name.replace("_", " "))
            outcome.failures.append("the scenario stopped: " + traceback.format_exc(limit=3).strip().splitlines()[-1])
            traceback.print_exc()
        outcome.figures["seconds"] = round(time.time() - began, 1)
        found = harness.scan_logs()
        outcome.add("secrets_in_logs", len(found))
        outcome.failures += found[:5]
        outcome.add("crashes", len(harness.crashes))
        outcome.failures += harness.crashes[:5]
        outcomes.append(outcome)
        print("   %s: %s" % ("pass" if outcome.passed else "FAIL", outcome.summary), file=sys.stderr, flush=True)
        for failure in outcome.failures:
            print("   - %s" % failure, file=sys.stderr, flush=True)
    harness.stop_server(harness.simulator.process)

    report = {
        "mode": "quick" if options.quick else "full", "seed": seed, "seconds": round(time.time() - started, 1),
        "scenarios": [outcome.as_json() for outcome in outcomes],
        "totals": {key: sum(outcome.counts[key] for outcome in outcomes) for key in TOTALS},
        "passed": all(outcome.passed for outcome in outcomes),
    }
    if options.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(options.json_out)), exist_ok=True)
        with open(options.json_out, "w") as out:
            json.dump(report, out, indent=2, sort_keys=True)
    print_table(report)
    print("logs and outputs of this run: %s" % work, file=sys.stderr)
    return 0 if report["passed"] else 1


def print_table(report):
    print("| scenario | result | what happened | duplicates | lost | leaked | crashes | 5xx | secrets in logs |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in report["scenarios"]:
        print("| %s | %s | %s | %d | %d | %d | %d | %d | %d |" % (
            s["name"], "pass" if s["passed"] else "**fail**", s["summary"].replace("|", "/"), s["duplicates"], s["lost"],
            s["leaked"], s["crashes"], s["server_errors"], s["secrets_in_logs"]))
    t = report["totals"]
    print("| **totals** | %s | seed %d, %.0f s | %d | %d | %d | %d | %d | %d |" % (
        "pass" if report["passed"] else "**fail**", report["seed"], report["seconds"], t["duplicates"], t["lost"],
        t["leaked"], t["crashes"], t["server_errors"], t["secrets_in_logs"]))


if __name__ == "__main__":
    sys.exit(main())
