"""The live path proven by simulation (issue 26), CI's share: a fixed set of seeds, each a
sequence of rules over the real engine, journal, Alpaca adapter and sandbox, every invariant
checked after every step (:mod:`live_sim`, :mod:`live_judge`). `make soak` runs many more.

A failure names the seed, the step and the invariant, and prints the command that replays it.
"""

from __future__ import annotations

import logging

import pytest
from live_judge import KNOWN_OPEN
from live_sim import draw, replay_command, report_failure, simulate

SEEDS = (1, 2, 3, 4, 5, 6)
STEPS = 30


@pytest.mark.parametrize("seed", SEEDS)
def test_every_invariant_holds_after_every_step(seed, tmp_path):
    logging.disable(logging.WARNING)
    try:
        outcome = simulate(seed, draw(seed, STEPS), folder=tmp_path)
    finally:
        logging.disable(logging.NOTSET)
    assert outcome.ok, report_failure(outcome)
    assert outcome.steps_done == STEPS
    assert outcome.counts, replay_command(seed, outcome.rules)


def test_the_judge_catches_a_resent_refusal(tmp_path):
    """The judge is not blind: a refused buy sent again by hand at the venue (what defect 2 did)
    breaks the re-send invariant, whatever the engine believes."""
    from live_judge import Context, Judge, Violation
    from live_world import TRADED, open_world

    world = open_world(tmp_path, 11)
    try:
        world.faults([{"kind": "reject", "count": 50}])
        assert world.cycle() == 0
        judge = Judge(tmp_path / "journal.sqlite", TRADED, 0.3, True)
        judge.check(Context(0, "cycle"), world.venue(), world.posts)
        assert judge.refused, "the refusals were journaled"
        world.clear_faults()
        cid = sorted(judge.refused)[0]
        journal = judge.journal()["orders"][cid]
        world.person({"symbol": journal["symbol"], "side": journal["side"], "type": "market",
                      "qty": float(journal["qty"]), "time_in_force": "day"})
        world.sandbox.run(lambda ex: ex.orders.relabel(f"person-{world.seed}-1", cid))
        saved = set(KNOWN_OPEN)
        KNOWN_OPEN.discard(2)
        try:
            with pytest.raises(Violation, match="re-sent"):
                judge.check(Context(1, "person"), world.venue(), world.posts)
        finally:
            KNOWN_OPEN.update(saved)
    finally:
        world.close()
