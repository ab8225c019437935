"""2. Reservers killed: two processes of 16 concurrent reservers each over a large pool, one
killed with `-9` midway. Every pair is assigned at most once, and pool + assigned == inserted."""

import os
import time

from outcome import Outcome


def records(path):
    """(card id, NS1, NS2) lines a reserver wrote after each commit."""
    if not os.path.exists(path):
        return []
    return [line.split("\t") for line in open(path).read().splitlines() if line.count("\t") == 2]


def run(h, quick):
    outcome = Outcome("reservers killed")
    inserted = h.fresh_pool(150_000 if quick else 600_000, "k")
    seconds = 6 if quick else 20
    files = [h.path("reserver-a.records"), h.path("reserver-b.records")]
    survivor = h.reserver("reserver-a", seconds, 0, record=files[0])
    victim = h.reserver("reserver-b", seconds, 0, record=files[1])
    time.sleep(seconds * h.rng.uniform(0.3, 0.6))
    assigned_at_kill = h.scalar("SELECT count(*) FROM token_assignment")
    h.kill(victim)
    victim.wait()
    survivor_code = h.finish(survivor, seconds + 60, expected={0})

    pool, assigned, cross_duplicates = h.pair_accounting()
    seen = {}
    for path in files:
        for card, ns1, ns2 in records(path):
            seen.setdefault(ns1, []).append((card, ns2))
    client_duplicates = sum(len(cards) - 1 for cards in seen.values())
    stored = dict(line.split("\t", 1) for line in h.psql("SELECT ns1_token, card_id FROM token_assignment").splitlines())
    # A reservation the client saw committed must be in the assignments, for that very card.
    missing = sum(1 for ns1, cards in seen.items() if stored.get(ns1) != cards[0][0])

    outcome.figures = {
        "inserted": inserted, "pool": pool, "assigned": assigned, "assigned_when_killed": assigned_at_kill,
        "reservations_seen_by_survivor": len(records(files[0])), "reservations_seen_by_killed": len(records(files[1])),
        "committed_reservations_missing": missing, "survivor_exit": survivor_code,
    }
    outcome.check(survivor_code == 0, "the surviving reserver exited %s" % survivor_code)
    outcome.check(assigned > assigned_at_kill, "no reservation happened after the kill")
    outcome.add("duplicates", cross_duplicates + client_duplicates)
    outcome.add("lost", inserted - (pool + assigned) + missing)
    outcome.summary = "%d assigned (%d at the kill), pool %d, inserted %d" % (assigned, assigned_at_kill, pool, inserted)
    return outcome
