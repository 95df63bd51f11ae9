"""The live path proven by simulation: a seeded sequence of rules — paper cycles, the venue's
clock, venue faults, processes killed mid-cycle and restarted, the operator (CLI and dashboard),
a person trading at the venue, corporate actions, the loss watch beside a cycle — run against
the real engine, journal, Alpaca adapter and sandbox, with the invariants of :mod:`live_judge`
checked after every step.

A seed fixes everything: the market's corporate actions, the account's configuration, the
sequence of rules and the sandbox's fault dice. A failure prints the seed, the step, and (after
shrinking: dropping steps while the same invariant still fails) the shortest sequence found, with
the command that replays it::

    .venv/bin/python tests/framework/live/live_sim.py --seed 7 --steps 40
    .venv/bin/python tests/framework/live/live_sim.py --seed 7 --rules "cycle,advance:open,kill:ack:1,cycle"
    .venv/bin/python tests/framework/live/live_sim.py --seeds 0-199 --steps 60 --shrink   # make soak
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # this folder: the plugin, the world, the judge
    sys.path.insert(0, str(HERE))
for folder in (HERE.parents[2], HERE.parents[1]):  # the project (as pytest has it), then tests/ (cli_invoke)
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

from live_judge import FOUND, KNOWN_OPEN, Context, Judge, Violation  # noqa: E402
from live_world import FOREIGN, HALT_BOUND_SECONDS, TRADED, World, open_world  # noqa: E402

# Rules and their weights. A rule is a string "kind[:arg[:arg]]", so a sequence replays as text.
# Rules tagged with open defects are not drawn until the defect's fix is merged.
RULES: list[tuple[str, float, tuple[int, ...]]] = [
    ("cycle", 8.0, ()),
    ("advance:open", 2.0, ()),
    ("advance:close", 2.0, ()),
    ("advance:next_session", 3.0, ()),
    ("fault:bars429", 0.7, (12,)),
    ("fault:orders429", 0.7, ()),
    ("fault:orders503", 0.7, ()),
    ("fault:positions504", 0.5, ()),
    ("fault:lost", 0.8, ()),
    ("fault:timeout", 0.4, ()),
    ("fault:partial", 0.8, ()),
    ("fault:reject", 0.8, ()),
    ("fault:drop_stream", 0.3, ()),
    ("kill:submit", 1.0, ()),
    ("kill:ack", 1.0, ()),
    ("kill:reconcile", 0.7, ()),
    ("kill:sync", 0.7, ()),
    ("op:halt", 0.8, ()),
    ("op:resume", 0.8, ()),
    ("op:flatten", 0.4, (3,)),
    ("op:flatten-no-halt", 0.3, (3,)),
    ("dash:halt", 0.4, ()),
    ("dash:resume", 0.4, ()),
    ("dash:flatten", 0.2, (3,)),
    ("person:stop", 0.5, (1, 13)),
    ("person:limit", 0.5, (1,)),
    ("person:foreign", 0.5, ()),
    ("person:buy", 0.4, (13,)),
    ("person:cancel", 0.5, ()),
    ("halt-mid-cycle:reconcile", 0.5, ()),
    ("halt-mid-cycle:submit", 0.5, ()),
    ("watch+cycle", 0.5, ()),
]

FAULTS = {
    "bars429": [{"kind": "rate_limit", "route": "GET /v2/stocks/bars"}],
    "orders429": [{"kind": "rate_limit", "route": "POST /v2/orders"}],
    "orders503": [{"kind": "server_error", "route": "POST /v2/orders", "status": 503}],
    "positions504": [{"kind": "server_error", "route": "GET /v2/positions", "status": 504}],
    "lost": [{"kind": "lost_response", "route": "POST /v2/orders"}],
    "timeout": [{"kind": "slow", "route": "POST /v2/orders", "delay": 3.0}],
    "partial": [{"kind": "partial", "count": 2}],
    "reject": [{"kind": "reject"}],
    "drop_stream": [{"kind": "drop_stream"}],
}


RUN_BLOCKED = False  # --run-blocked: run the rules of open defects too (their invariants still tolerate)


def blocked_by(rule: str) -> set[int]:
    """The open defects a rule waits for (it is drawn, but runs as a no-op until they are fixed:
    a seed's sequence stays the same as fixes land)."""
    for name, _weight, defects in RULES:
        if rule == name or rule.startswith(name + ":"):
            return set(defects) & KNOWN_OPEN
    return set()


def draw(seed: int, steps: int) -> list[str]:
    """The seed's sequence of rules (a kill or a held cycle gets the call it dies or waits at)."""
    rng = random.Random(f"rules-{seed}")
    names, weights = [r[0] for r in RULES], [r[1] for r in RULES]
    out = []
    for _ in range(steps):
        rule = rng.choices(names, weights)[0]
        if rule.startswith("kill:"):
            rule += f":{rng.randint(1, 3)}"
        elif rule.startswith("person:"):
            rule += f":{rng.randrange(1000)}"
        out.append(rule)
    return out


@dataclass
class Outcome:
    seed: int
    rules: list[str]
    steps_done: int = 0
    violation: Violation | None = None
    failed_at: int | None = None
    breaches: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)  # rule kind -> how it went
    examples: dict = field(default_factory=dict)  # tolerated breach -> its first detail
    seconds: Counter = field(default_factory=Counter)  # rule kind -> seconds spent (steps and checks)

    @property
    def ok(self) -> bool:
        return self.violation is None


class Simulation:
    def __init__(self, world: World) -> None:
        self.world = world
        s = world.settings
        self.judge = Judge(Path(s.paper.journal), TRADED, s.risk.max_position_weight,
                           s.risk.stop_loss is not None or s.risk.trailing_stop is not None,
                           person_canceled=world.person_canceled)
        self.counts: Counter = Counter()

    # -- rules ----------------------------------------------------------------------------

    def run(self, rule: str, step: int) -> Context:
        world = self.world
        world.step = step
        kind, _, arg = rule.partition(":")
        venue = world.venue()
        self.judge.begin(venue)
        halted_before = self.judge.journal()["halted"]
        ctx = Context(step, rule)
        if blocked_by(rule) and not RUN_BLOCKED:
            self.counts[f"not run while defect(s) {sorted(blocked_by(rule))} open: {rule.rsplit(':', 1)[0]}"] += 1
        elif kind == "cycle":
            code = world.cycle()
            ctx.completed_cycle = code == 0
            self.counts[f"cycle exit {code}"] += 1
        elif kind == "advance":
            moved = world.advance(arg)
            ctx.excuse_foreign = True  # a split at the open cancels the symbol's open orders
            self.counts["advance" if moved else "advance (no more data)"] += 1
        elif kind == "fault":
            world.faults(FAULTS[arg])
            self.counts[rule] += 1
        elif kind == "kill":
            point, n = arg.split(":")
            self.counts[f"kill at {point}: {world.killed_cycle(point, int(n))}"] += 1
        elif kind == "op":
            argv = {"halt": ["halt"], "resume": ["resume"], "flatten": ["flatten", "--yes"],
                    "flatten-no-halt": ["flatten", "--yes", "--no-halt"]}[arg]
            code = world.cli(*argv)
            ctx.excuse_foreign = ctx.flatten = arg.startswith("flatten")
            self.counts[f"trade {' '.join(argv)} exit {code}"] += 1
        elif kind == "dash":
            status = world.press(arg)
            ctx.excuse_foreign = ctx.flatten = arg == "flatten"
            self.counts[f"dashboard {arg} {status}"] += 1
        elif kind == "person":
            self._person(arg, venue)
        elif kind == "halt-mid-cycle":
            self._halt_mid_cycle(arg, ctx)
        elif kind == "watch+cycle":
            self._watch_and_cycle(ctx)
        else:
            raise ValueError(f"unknown rule {rule!r}")
        ctx.halted_throughout = halted_before and self.judge.journal()["halted"]
        return ctx

    def _person(self, arg: str, venue: dict) -> None:
        what, _, pick = arg.partition(":")
        n = int(pick or 0)
        world = self.world
        held = sorted(s for s, p in venue["positions"].items() if p["qty"] > 0)
        if what == "stop" and held:
            symbol = held[n % len(held)]
            qty, price = venue["positions"][symbol]["qty"], venue["closes"][symbol]
            world.person({"symbol": symbol, "side": "sell", "type": "stop", "qty": qty,
                          "stop_price": round(price * 0.9, 2), "time_in_force": "gtc"})
        elif what == "limit":
            symbol = TRADED[n % len(TRADED)]
            world.person({"symbol": symbol, "side": "buy", "type": "limit", "qty": 5,
                          "limit_price": round(venue["closes"][symbol] * 0.8, 2), "time_in_force": "gtc"})
        elif what == "foreign":
            world.person({"symbol": FOREIGN, "side": "buy", "type": "market", "qty": 10, "time_in_force": "day"})
        elif what == "buy":
            symbol = TRADED[n % len(TRADED)]
            world.person({"symbol": symbol, "side": "buy", "type": "market", "qty": 3, "time_in_force": "day"})
        elif what == "cancel":
            ours = self.judge.journal()["intents"]
            open_ours = sorted((o["client_order_id"], o["id"]) for o in venue["orders"].values()
                               if o["client_order_id"] in ours
                               and o["status"] not in ("filled", "canceled", "expired", "replaced", "rejected"))
            if open_ours:
                cid, oid = open_ours[n % len(open_ours)]
                world.person_cancels(oid, cid)
        self.counts[f"person {what}"] += 1

    def _halt_mid_cycle(self, point: str, ctx: Context) -> None:
        """`trade halt` while a cycle is held at ``point``: it completes within the bound, and
        nothing the cycle sends afterwards adds risk."""
        world = self.world
        landed: dict[str, object] = {}

        def operator() -> int | None:
            done: list[int] = []
            thread = threading.Thread(target=lambda: done.append(world.cli("halt")), daemon=True)
            thread.start()
            thread.join(HALT_BOUND_SECONDS)
            landed["orders"] = set(world.venue()["orders"]) | set(world.in_flight)  # ids, and the held cid
            return done[0] if done else None

        outcome, code, _reached = world.cycle_held(point, operator)
        self.counts[f"halt mid-cycle at {point}: halt exit {code}, cycle {outcome.split(':')[0]}"] += 1
        if code is None:
            self.judge.breach("an operator's halt succeeds within a bound while a cycle runs", (4,),
                              f"`trade halt` did not finish within {HALT_BOUND_SECONDS:.0f} s while a cycle was "
                              f"held at {point}")
        elif code != 0:
            self.judge.breach("an operator's halt succeeds within a bound while a cycle runs", (4,),
                              f"`trade halt` exited {code} while a cycle was held at {point}: {world.printed[-300:]}")
        ctx.halt_landed_at = landed["orders"]  # type: ignore[assignment]
        ctx.completed_cycle = outcome == "completed"

    def _watch_and_cycle(self, ctx: Context) -> None:
        """The loss watch ticking while a cycle runs (the market open)."""
        world = self.world
        if world.venue()["phase"] != "open":
            world.advance("open")
        result: list[object] = []

        def tick() -> None:
            try:
                result.append(world.watch_tick())
            except Exception as e:
                result.append(e)

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        code = world.cycle()
        thread.join(HALT_BOUND_SECONDS)
        if thread.is_alive() or isinstance(result[0], Exception):
            self.judge.breach("the loss watch works beside a cycle", (4,),
                              f"the watch {'never finished' if thread.is_alive() else repr(result[0])}")
            return
        ctx.completed_cycle = code == 0
        self.counts[f"watch+cycle: cycle exit {code}, watch halted {result[0]}"] += 1


def simulate(seed: int, rules: list[str], *, folder: Path | None = None, say=lambda _line: None) -> Outcome:
    """Run ``rules`` on a fresh world of ``seed``; stops at the first violation."""
    outcome = Outcome(seed, list(rules))
    with contextlib.ExitStack() as stack:
        tmp = folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"live-sim-{seed}-")))
        world = open_world(tmp, seed)
        stack.callback(world.close)
        sim = Simulation(world)
        for i, rule in enumerate(rules):
            began = time.monotonic()
            try:
                ctx = sim.run(rule, i)
                sim.judge.check(ctx, world.venue(), world.posts)
            except Violation as v:
                outcome.violation, outcome.failed_at = v, i
                break
            outcome.steps_done = i + 1
            outcome.seconds[rule.split(":")[0]] += time.monotonic() - began
            say(f"  seed {seed} step {i}: {rule} ({time.monotonic() - began:.1f} s)")
        outcome.breaches = sim.judge.breaches
        outcome.examples = {k: f"seed {seed}: {v}" for k, v in sim.judge.examples.items()}
        outcome.counts = sim.counts
    return outcome


def shrink(seed: int, rules: list[str], invariant: str, *, budget: int = 40, say=print) -> list[str]:
    """The shortest sequence found that still breaks ``invariant`` (delta debugging: drop
    chunks, halving their size; at most ``budget`` replays)."""
    best, chunk, tries = list(rules), max(len(rules) // 2, 1), 0
    while chunk >= 1 and tries < budget:
        i, changed = 0, False
        while i < len(best) and tries < budget:
            candidate = best[:i] + best[i + chunk:]
            if not candidate:
                i += chunk
                continue
            tries += 1
            got = simulate(seed, candidate)
            if got.violation is not None and got.violation.invariant == invariant:
                best = candidate[: (got.failed_at or 0) + 1]
                changed = True
                say(f"  shrunk to {len(best)} steps")
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return best


def replay_command(seed: int, rules: list[str]) -> str:
    return f'.venv/bin/python tests/framework/live/live_sim.py --seed {seed} --rules "{",".join(rules)}"'


def report_failure(outcome: Outcome, shrunk: list[str] | None = None) -> str:
    v = outcome.violation
    lines = [f"seed {outcome.seed}: step {outcome.failed_at} ({outcome.rules[outcome.failed_at or 0]}) broke "
             f"'{v.invariant if v else '?'}': {v.detail if v else ''}",
             f"replay: {replay_command(outcome.seed, outcome.rules[: (outcome.failed_at or 0) + 1])}"]
    if shrunk is not None:
        lines.append(f"shortest sequence found ({len(shrunk)} steps): {' -> '.join(shrunk)}")
        lines.append(f"replay it: {replay_command(outcome.seed, shrunk)}")
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, help="one seed")
    parser.add_argument("--seeds", default="0-9", help="a range a-b or a list a,b,c (default 0-9)")
    parser.add_argument("--steps", type=int, default=40, help="rules per seed")
    parser.add_argument("--rules", help="replay this comma-separated sequence instead of drawing one")
    parser.add_argument("--shrink", action="store_true", help="on failure, look for the shortest sequence")
    parser.add_argument("--keep-going", action="store_true", help="run every seed even after a failure")
    parser.add_argument("--bind", default="", help="defects (e.g. 5,13) whose invariants bind here, as if fixed")
    parser.add_argument("--run-blocked", action="store_true", help="run the rules of open defects too")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the sandbox's own log of a client gone mid-answer, among others
    KNOWN_OPEN.difference_update(int(d) for d in args.bind.split(",") if d)
    global RUN_BLOCKED
    RUN_BLOCKED = args.run_blocked
    seeds = [args.seed] if args.seed is not None else _seeds(args.seeds)
    say = print if args.verbose else (lambda _line: None)
    started, steps, failures = time.monotonic(), 0, 0
    breaches: Counter = Counter()
    counts: Counter = Counter()
    examples: dict = {}
    seconds: Counter = Counter()
    for seed in seeds:
        rules = args.rules.split(",") if args.rules else draw(seed, args.steps)
        outcome = simulate(seed, rules, say=say)
        steps += outcome.steps_done + (0 if outcome.ok else 1)
        breaches.update(outcome.breaches)
        counts.update(outcome.counts)
        examples = outcome.examples | examples
        seconds.update(outcome.seconds)
        if outcome.ok:
            print(f"seed {seed}: {outcome.steps_done} steps ok ({steps} steps, "
                  f"{(time.monotonic() - started) / 60:.1f} min so far)", flush=True)
            continue
        failures += 1
        shrunk = None
        if args.shrink and outcome.violation is not None:
            print(report_failure(outcome), flush=True)
            shrunk = shrink(seed, outcome.rules[: (outcome.failed_at or 0) + 1], outcome.violation.invariant)
        print(report_failure(outcome, shrunk), flush=True)
        if not args.keep_going:
            break
    minutes = (time.monotonic() - started) / 60
    print(f"\n{steps} steps, {len(seeds)} seeds, {minutes:.1f} minutes: "
          f"{'FAILED (' + str(failures) + ')' if failures else 'all invariants held'}")
    print(f"rules: {dict(sorted(counts.items()))}")
    print("seconds by rule: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.most_common()))
    if breaches:
        print("tolerated while their defect is open (invariant, defects): "
              + "; ".join(f"{name} {list(d)} x{n}" for (name, d), n in sorted(breaches.items())))
        for key, detail in sorted(examples.items()):
            print(f"  e.g. {key[0]} {list(key[1])}: {detail}")
    print(f"open defects (their rules not run, their invariants not binding): {sorted(KNOWN_OPEN)}")
    for number in sorted(KNOWN_OPEN & set(FOUND)):
        print(f"  {number} (found by this simulation): {FOUND[number]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
