"""One fill rule for every simulator (issue 27 part 6): outside the venue model, only backtrader's
own slippage hooks in ``VenueBroker`` call ``slipped_price``; the sandbox, the lean research path and
the TWAP minute fills price through ``framework/venue/matching.py``."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ALLOWED = {"brokers/backtrader/sim_broker.py"}  # backtrader's _get_price hooks (market orders' slip)


@functools.cache
def _attributes() -> dict[str, frozenset[str]]:
    """Per module outside framework/venue/, the attribute names it uses: the tree parsed once
    for the module's tests (each asked about one name and parsed it all again)."""
    found = {}
    for folder in ("framework", "brokers", "strategies", "analyzers"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("framework/venue/"):
                continue
            tree = ast.parse(path.read_text(), rel)
            found[rel] = frozenset(n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute))
    return found


def callers(name: str) -> set[str]:
    return {rel for rel, names in _attributes().items() if name in names}


def test_no_simulator_prices_a_fill_beside_the_matching_module() -> None:
    assert callers("slipped_price") <= ALLOWED


def test_every_simulator_asks_the_matching_module() -> None:
    users = callers("market_price")
    assert {"brokers/sandbox/exchange.py", "brokers/lean/broker.py", "framework/twap.py"} <= users


def test_both_simulators_trail_by_the_one_trailing_rule() -> None:
    """A trailing stop is judged and its mark raised in framework/venue/trailing.py alone: the
    backtest once trailed by backtrader's ``trailadjust`` and the sandbox by its own arithmetic
    (on the bar's high, before judging the open)."""
    assert {"brokers/backtrader/sim_broker.py", "brokers/sandbox/resting.py"} <= callers("trailing_fill")
    assert not callers("trailadjust") - {"brokers/backtrader/sim_broker.py"}
