"""Intent parity: did the two runs mean to send the same orders, decision by decision?

Intents come from each journal's ``intents`` table (written before anything is sent, keyed by
the decision session). Two intents are the same intent when their decision session, symbol and
purpose (the order's tag: rebalance, trim, exit, stop, deferred, halt, protective) agree; they
match when side, quantity and order type agree too. Client ids cannot be compared directly:
they hash the run id, which differs between a backtest and a paper account.

When an intent does not match, the reasons are read from the two journals, most basic first:
the decision price, what was held before the decision, the equity, a risk decision one run made
and the other did not (the rebalance band, a deferral), a venue rejection, whole-share rounding.
Given the two runs' signals and inputs (:mod:`analyzers.decision_diff`), each unmatched intent is
also attributed to one cause, the first link of the decision chain that differs: **input data**
(the bars behind a changed signal, or the decision price), **signal** (a changed signal from the
same bars: the code), **holdings**, **equity**, **rule** (a risk check, the band, a deferral, a
rejection), **rounding**.

Beside exact parity, parity within the sizing band: an intent is within the band when the two
runs' signed quantities differ by less than ``sizing.rebalance_band`` of equity at the decision
price (a difference the band itself would not trade).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from analyzers.decision_diff import INPUT_TOLERANCE, DecisionDiff
from analyzers.records import RunRecords

KEY = ["day", "symbol", "tag"]
PRICE_TOLERANCE = 1e-6  # relative: decision prices equal to six digits are the same price
EQUITY_TOLERANCE = 0.01  # dollars


class Cause(StrEnum):
    """Why an intent differs (the issue's list, plus what an earlier divergence carries)."""

    DECISION_PRICE = "decision price"
    HOLDINGS = "holdings"  # what was held before the decision differed: an earlier divergence
    EQUITY = "equity"
    BAND = "band"  # the rebalance band / trade minimums kept one and not the other
    DEFERRAL = "deferral"  # buying power, a flip, protection not cleared
    RISK = "risk"  # another risk check acted differently
    REJECTION = "rejection"
    ROUNDING = "rounding"
    UNEXPLAINED = "unexplained"


class Attribution(StrEnum):
    """The one cause an unmatched intent is attributed to: the first link of the chain that differs."""

    INPUT_DATA = "input data"
    SIGNAL = "signal"
    HOLDINGS = "holdings"
    EQUITY = "equity"
    RULE = "rule"
    ROUNDING = "rounding"
    UNEXPLAINED = "unexplained"


RULE_CAUSES = {Cause.BAND, Cause.DEFERRAL, Cause.RISK, Cause.REJECTION}
DEFAULT_BAND = 0.01  # sizing.rebalance_band's default, when a run's config does not say

DEFERRAL_REASONS = {"buying_power", "long_short_flip", "protection_not_cleared"}
BAND_REASONS = {"min_trade"}


@dataclass(frozen=True)
class IntentParity:
    """``table``: one row per intent key, both sides' side/qty/type/price, ``matched``, ``reasons``."""

    table: pd.DataFrame
    band: float = DEFAULT_BAND

    @property
    def within_band(self) -> int:
        return int(self.table["within_band"].sum()) if self.total else 0

    def band_line(self) -> str:
        share = self.within_band / self.total if self.total else 1.0
        return (f"intents within the sizing band (weight difference below {self.band:.2%} of equity): "
                f"{self.within_band}/{self.total} ({share:.1%})")

    def attributions(self) -> dict[str, int]:
        """How many unmatched intents each cause of :class:`Attribution` explains (one each)."""
        found = self.table.loc[~self.table["matched"], "attribution"]
        return {str(a): int((found == a).sum()) for a in Attribution if (found == a).any()}

    @property
    def total(self) -> int:
        return len(self.table)

    @property
    def matched(self) -> int:
        return int(self.table["matched"].sum()) if self.total else 0

    @property
    def share(self) -> float:
        return self.matched / self.total if self.total else 1.0

    @property
    def complete(self) -> bool:
        return self.matched == self.total

    def line(self) -> str:
        return f"intents matched: {self.matched}/{self.total} ({self.share:.1%})"

    def causes(self) -> dict[str, int]:
        """How many unmatched intents each cause touches (an intent may have several)."""
        counts: dict[str, int] = {}
        for reasons in self.table.loc[~self.table["matched"], "reasons"]:
            for cause in reasons:
                counts[cause.split(":")[0]] = counts.get(cause.split(":")[0], 0) + 1
        return counts


def _side_view(records: RunRecords, days: set[pd.Timestamp]) -> pd.DataFrame:
    intents = records.intents
    if intents.empty:
        return pd.DataFrame(columns=[*KEY, "side", "qty", "type", "decision_price", "client_order_id"])
    intents = intents[intents["day"].isin(days)]
    return intents[[*KEY, "side", "qty", "type", "decision_price", "client_order_id"]]


def _held(records: RunRecords) -> dict[tuple[pd.Timestamp, str], float]:
    """Quantity held per (decision session, symbol) as journaled at each decision."""
    p = records.positions
    if p.empty:
        return {}
    return {(d, s): float(q) for d, s, q in zip(p["day"], p["symbol"], p["qty"], strict=True)}


def _equity(records: RunRecords) -> dict[pd.Timestamp, float]:
    return dict(zip(records.equity["day"], records.equity["equity"], strict=True))


def _risk(records: RunRecords) -> dict[tuple[pd.Timestamp, str], set[tuple[str, str]]]:
    d = records.risk_decisions
    out: dict[tuple[pd.Timestamp, str], set[tuple[str, str]]] = {}
    if d.empty:
        return out
    for day, symbol, reason, action in zip(d["day"], d["symbol"], d["reason"], d["action"], strict=True):
        out.setdefault((day, symbol), set()).add((str(reason), str(action)))
    return out


def _rejected(records: RunRecords) -> dict[str, str]:
    e = records.events
    if e.empty:
        return {}
    rows = e[e["event"] == "rejected"]
    return dict(zip(rows["client_order_id"], rows["detail"], strict=True))


def _differs(a: float, b: float, tolerance: float, relative: bool = False) -> bool:
    """Both known and apart by more than ``tolerance`` (an intent one run lacks has no price)."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return False
    scale = max(abs(a), abs(b), 1e-12) if relative else 1.0
    return abs(a - b) / scale > tolerance


class _Explainer:
    """The reasons one intent key differs, from both journals (and their signals and inputs)."""

    def __init__(self, backtest: RunRecords, paper: RunRecords, decisions: DecisionDiff | None = None) -> None:
        self.held = (_held(backtest), _held(paper))
        self.equity = (_equity(backtest), _equity(paper))
        self.risk = (_risk(backtest), _risk(paper))
        self.rejected = (_rejected(backtest), _rejected(paper))
        self.decisions = decisions

    def attribution(self, row: pd.Series, reasons: list[str]) -> Attribution:
        """The first link of the chain that differs: inputs → signal → holdings → equity → rule → rounding."""
        causes = {r.split(":")[0] for r in reasons}
        d = self.decisions
        if d is not None and d.signal(row["day"], row["symbol"]) is not None:
            gap = d.day_gap(row["day"])  # a ranked signal reads every symbol's bars
            return Attribution.INPUT_DATA if gap > INPUT_TOLERANCE else Attribution.SIGNAL
        if Cause.DECISION_PRICE in causes:
            return Attribution.INPUT_DATA
        for cause, attribution in ((Cause.HOLDINGS, Attribution.HOLDINGS), (Cause.EQUITY, Attribution.EQUITY)):
            if cause in causes:
                return attribution
        if causes & RULE_CAUSES:
            return Attribution.RULE
        if Cause.ROUNDING in causes:
            return Attribution.ROUNDING
        return Attribution.UNEXPLAINED

    def reasons(self, row: pd.Series) -> list[str]:
        day, symbol = row["day"], row["symbol"]
        out = []
        changed = self.decisions.signal(day, symbol) if self.decisions is not None else None
        if changed is not None:
            gap = self.decisions.input_gap(day, symbol)
            behind = ("inputs not stored" if np.isnan(gap) else
                      f"its bars differ by up to {gap:.3g}" if gap > INPUT_TOLERANCE else "the same bars")
            out.append(f"signal: backtest {changed[0]:.6g} vs paper {changed[1]:.6g} ({behind})")
        pb, pp = float(row["decision_price_backtest"]), float(row["decision_price_paper"])
        if _differs(pb, pp, PRICE_TOLERANCE, relative=True):
            out.append(f"{Cause.DECISION_PRICE}: backtest {pb:g} vs paper {pp:g}")
        hb, hp = self.held[0].get((day, symbol), 0.0), self.held[1].get((day, symbol), 0.0)
        if _differs(hb, hp, 1e-9):
            out.append(f"{Cause.HOLDINGS}: held {hb:g} vs {hp:g} before the decision")
        eb, ep = self.equity[0].get(day, np.nan), self.equity[1].get(day, np.nan)
        if _differs(eb, ep, EQUITY_TOLERANCE):
            out.append(f"{Cause.EQUITY}: {eb:,.2f} vs {ep:,.2f}")
        out += self._risk_reasons(day, symbol)
        for name, side, rejected in (("backtest", "backtest", self.rejected[0]), ("paper", "paper", self.rejected[1])):
            cid = row[f"client_order_id_{side}"]
            if isinstance(cid, str) and cid in rejected:
                out.append(f"{Cause.REJECTION}: {name}: {rejected[cid]}")
        qb, qp = float(row["qty_backtest"]), float(row["qty_paper"])
        if all(r.startswith("signal") for r in out) and np.isfinite(qb) and np.isfinite(qp) and abs(qb - qp) <= 1.0:
            out.append(f"{Cause.ROUNDING}: {qb:g} vs {qp:g}")
        return out or [str(Cause.UNEXPLAINED)]

    def _risk_reasons(self, day: pd.Timestamp, symbol: str) -> list[str]:
        a, b = self.risk[0].get((day, symbol), set()), self.risk[1].get((day, symbol), set())
        out = []
        for (reason, action), run in [(x, "backtest") for x in sorted(a - b)] + [(x, "paper") for x in sorted(b - a)]:
            cause = (Cause.DEFERRAL if reason in DEFERRAL_REASONS or action == "defer"
                     else Cause.BAND if reason in BAND_REASONS else Cause.RISK)
            out.append(f"{cause}: only the {run} run: {reason} ({action})")
        return out


def _within_band(table: pd.DataFrame, equity: dict[pd.Timestamp, float], band: float) -> np.ndarray:
    """Rows whose signed quantities differ by less than ``band`` of equity at the decision price."""
    def signed(side: str) -> np.ndarray:
        qty = table[f"qty_{side}"].fillna(0.0).to_numpy(dtype=float)
        return np.where(table[f"side_{side}"] == "buy", qty, -qty)

    price = table["decision_price_backtest"].fillna(table["decision_price_paper"]).to_numpy(dtype=float)
    base = table["day"].map(equity).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.abs(signed("backtest") - signed("paper")) * price / base
    return table["matched"].to_numpy(dtype=bool) | (np.nan_to_num(weight, nan=np.inf) < band)


def band_of(records: RunRecords) -> float:
    """The run's ``sizing.rebalance_band`` (its config), else the default."""
    sizing = records.config.get("sizing") if isinstance(records.config, dict) else None
    value = sizing.get("rebalance_band") if isinstance(sizing, dict) else None
    return float(value) if isinstance(value, int | float) else DEFAULT_BAND


def intent_parity(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp] | None = None,
                  decisions: DecisionDiff | None = None) -> IntentParity:
    """Match the intents of the decision sessions ``days`` (default: those both runs decided on);
    with ``decisions`` (signals and inputs compared) each miss is attributed to one cause."""
    if days is None:
        days = sorted(set(backtest.equity["day"]) & set(paper.equity["day"]))
    chosen = set(days)
    a, b = _side_view(backtest, chosen), _side_view(paper, chosen)
    table = a.merge(b, on=KEY, how="outer", suffixes=("_backtest", "_paper"))
    for column in ("qty_backtest", "qty_paper", "decision_price_backtest", "decision_price_paper"):
        table[column] = pd.to_numeric(table[column])
    same = (
        (table["side_backtest"] == table["side_paper"])
        & (table["type_backtest"] == table["type_paper"])
        & np.isclose(table["qty_backtest"].fillna(-1.0), table["qty_paper"].fillna(-2.0), rtol=0, atol=1e-9)
    )
    table["matched"] = same.astype(bool)
    explain = _Explainer(backtest, paper, decisions)
    table["reasons"] = [[] if ok else explain.reasons(row) for ok, (_, row) in zip(same, table.iterrows(), strict=True)]
    table["attribution"] = [None if ok else str(explain.attribution(row, row["reasons"]))
                            for ok, (_, row) in zip(same, table.iterrows(), strict=True)]
    band = band_of(backtest)
    table["within_band"] = _within_band(table, _equity(backtest), band) if len(table) else np.array([], bool)
    table = table.sort_values(KEY, kind="stable").reset_index(drop=True)
    return IntentParity(table, band)
