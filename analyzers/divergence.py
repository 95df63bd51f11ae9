"""Why paper differs from the backtest: the divergence report (v3).

Its first line says which of "same code" and "same data" held: the same data when the bars each
side's plugin saw at every compared decision agree (:mod:`analyzers.decision_diff`: a paper run
stores them beside its journal), the same code when the runs' decision settings agree and the
signals agree wherever the inputs did. Then intent parity (:mod:`analyzers.intent_parity`): the
same decision sessions, the same intents (symbol, side, quantity per decision session and
purpose), exactly and within the sizing band, each miss attributed to one cause (input data,
signal, holdings, equity, rule, rounding) with its reasons; the signals per (day, symbol) and the
largest difference of the inputs behind them.
Then the equity difference at the last common decision (paper − backtest), explained by cause in
dollars, the causes summing to the total:

* start: the two runs began with different equity,
* slippage: s × (fill − decision) × filled qty, the difference over orders of the same intent,
* costs: commission and fees,
* unfilled: unfilled quantity valued at the reference price (the last session's close);
  protective stops left unfilled are not missed trades and count nothing,
* intents: quantities one run traded and the other did not, from their fill to that close,
* other: the rest (the market path of holdings that already differed, rounding of the above).

Also: decision-price gaps, arrival slippage of both runs, venue rejections, and notes when the
runs did not start flat or aligned.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyzers import execution_quality, units
from analyzers.decision_diff import INPUT_TOLERANCE, DecisionDiff, compare_decisions
from analyzers.intent_parity import KEY, IntentParity, intent_parity
from analyzers.records import NEW_YORK, RunRecords
from framework.errors import InputError
from framework.orders import PROTECTIVE_TAG

CAUSES = ("start", "slippage", "costs", "unfilled", "intents", "other")
NO_DIFFERENCE = 0.005  # dollars: below half a cent the runs ended level, and shares are n/a
SHOWN_UNMATCHED = 20  # the console lists this many unmatched intents; the CSV has them all
DECISION_SECTIONS = ("strategy", "signals", "sizing", "risk")  # the settings that make a decision


@dataclass(frozen=True)
class Divergence:
    parity: IntentParity
    matched: pd.DataFrame  # one row per intent key: both runs' order figures
    attribution: dict[str, float]
    shares: dict[str, float]
    equity_difference: float
    period: tuple[str, str]
    rejections: tuple[int, int]  # venue rejections: backtest, paper
    price_gaps: dict[str, float]  # compared, differing, largest gap in bps
    arrival_bps: tuple[float, float]  # filled-notional weighted arrival slippage: backtest, paper
    unfilled_usd: tuple[float, float]
    notes: tuple[str, ...] = field(default_factory=tuple)
    exits: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))  # sells filled at the next open / decided
    decisions: DecisionDiff | None = None  # signals and inputs per (day, symbol)
    same_code: tuple[bool | None, str] = (None, "")
    same_data: tuple[bool | None, str] = (None, "")


def exits_on_time(records: RunRecords, days: list[pd.Timestamp]) -> tuple[int, int]:
    """Sells (protective stops aside) filled in full at the open after their decision, of those
    decided on ``days`` but the last (whose open is past the run): (on time, decided)."""
    o = records.orders
    if o.empty or len(days) < 2:
        return 0, 0
    following = dict(itertools.pairwise(days))
    sells = o[(o["side"] == "sell") & (o["tag"] != "protective") & o["day"].isin(following.keys())]
    if sells.empty:
        return 0, 0
    times = pd.to_datetime(records.fills["time"], utc=True, format="ISO8601")
    fills = records.fills.assign(day=times.dt.tz_convert(NEW_YORK).dt.normalize().dt.tz_localize(None))
    filled = fills.groupby(["client_order_id", "day"])["qty"].sum()
    on_time = sum(
        1 for cid, day, qty in zip(sells["client_order_id"], sells["day"], sells["qty"], strict=True)
        if abs(float(filled.get((cid, following[day]), 0.0)) - float(qty)) < 1e-9
    )
    return on_time, len(sells)


def _reference(records: RunRecords, end: pd.Timestamp) -> dict[str, float]:
    """Each symbol's close at ``end`` (the report's reference price), from the run's data."""
    market = records.market()
    if market is None or end not in market.close.index:
        return {}
    row = market.close.loc[end]
    return {s: float(v) for s, v in row.items() if np.isfinite(v)}


def _orders(records: RunRecords, days: set[pd.Timestamp], reference: dict[str, float]) -> pd.DataFrame:
    ref = records.orders.set_index("client_order_id")["symbol"].map(reference)
    table = execution_quality.per_order(records.orders, records.fills, ref)
    table = table[table["day"].isin(days)]
    # a protective stop that expires unfilled did its job: it is no missed trade
    table = table.assign(opportunity_usd=table["opportunity_usd"].where(table["tag"] != PROTECTIVE_TAG, 0.0))
    sign = np.where(table["side"] == "buy", 1.0, -1.0)
    table = table.assign(
        slippage_usd=(sign * (table["filled_avg_price"] - table["decision_price"]) * table["filled_qty"]).fillna(0.0),
        signed_filled=sign * table["filled_qty"].fillna(0.0),
        notional=(table["filled_avg_price"] * table["filled_qty"]).fillna(0.0),
    )
    return table.groupby(KEY, as_index=False).agg(
        side=("side", "first"),
        qty=("qty", "sum"),
        filled_qty=("filled_qty", "sum"),
        signed_filled=("signed_filled", "sum"),
        decision_price=("decision_price", "mean"),
        fill_price=("filled_avg_price", "mean"),
        arrival_price=("arrival_price", "mean"),
        slippage_bps=("slippage_decision_bps", "mean"),
        arrival_bps=("slippage_arrival_bps", "mean"),
        notional=("notional", "sum"),
        slippage_usd=("slippage_usd", "sum"),
        commission=("commission", "sum"),
        opportunity_usd=("opportunity_usd", "sum"),
        time_to_fill_s=("time_to_fill_s", "mean"),
    )


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    ok = values.notna() & (weights > 0)
    return float((values[ok] * weights[ok]).sum() / weights[ok].sum()) if ok.any() else float("nan")


def _rejections(records: RunRecords) -> int:
    e = records.events
    return int((e["event"] == "rejected").sum()) if not e.empty else 0


def _intents_effect(both: pd.DataFrame, reference: dict[str, float]) -> float:
    """Quantities one run traded and the other did not, valued from their fill to the reference."""
    diff = both["signed_filled_paper"].fillna(0.0) - both["signed_filled_backtest"].fillna(0.0)
    fill = both["fill_price_paper"].fillna(both["fill_price_backtest"])
    ref = both["symbol"].map(reference)
    effect = diff * (ref - fill)
    return float(effect[(diff.abs() > 1e-9) & effect.notna()].sum())


def _notes(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp]) -> list[str]:
    """When the two runs did not start flat or aligned, say so: the parity figures mean less."""
    notes = []
    if abs(backtest.initial_cash - paper.initial_cash) > 0.005:
        notes.append(f"the runs started with different cash: backtest {backtest.initial_cash:,.2f}, "
                     f"paper {paper.initial_cash:,.2f}")
    first_bt, first_pp = backtest.equity["day"].min(), paper.equity["day"].min()
    if first_bt != first_pp:
        notes.append(f"the runs did not start aligned: first decision {first_bt.date()} (backtest) vs "
                     f"{first_pp.date()} (paper); compared from {days[0].date()}")
    for name, records in (("backtest", backtest), ("paper", paper)):
        p = records.positions
        held = p[(p["day"] == p["day"].min()) & (p["qty"].abs() > 1e-9)] if not p.empty else p
        first = records.equity["day"].min()
        if not held.empty and held["day"].iloc[0] <= first:
            notes.append(f"the {name} run did not start flat: {len(held)} position(s) held at its first decision")
        adj = records.adjustments
        if not adj.empty:
            notes.append(f"the {name} run adopted {len(adj)} difference(s) from the broker's books (reconciliation)")
    for name, records, other in (("backtest", backtest, paper), ("paper", paper, backtest)):
        only = sorted(set(records.equity["day"]) - set(other.equity["day"]))
        if only:
            notes.append(f"only the {name} run decided on {len(only)} session(s) ({only[0].date()} .. "
                         f"{only[-1].date()}): left out")
    return notes


def _settings_differ(backtest: RunRecords, paper: RunRecords) -> list[str]:
    a, b = backtest.config, paper.config
    return [k for k in DECISION_SECTIONS if isinstance(a, dict) and isinstance(b, dict) and a.get(k) != b.get(k)]


def same_data(d: DecisionDiff) -> tuple[bool | None, str]:
    if not d.inputs_known:
        return None, "a run did not store the bars it decided on"
    days = [day for day in d.days if d.day_gap(day) > INPUT_TOLERANCE]
    if not days:
        return True, f"the same bars at all {len(d.days)} decision(s)"
    top = d.largest_input()
    assert top is not None
    return False, (f"bars differ at {len(days)} of {len(d.days)} decision(s), largest relative difference "
                   f"{top['gap']:.3g} ({top['symbol']} {top['day'].date()})")


def same_code(backtest: RunRecords, paper: RunRecords, d: DecisionDiff) -> tuple[bool | None, str]:
    differ = _settings_differ(backtest, paper)
    if differ:
        return False, f"the decision settings differ ({', '.join(differ)})"
    alike = [day for day in d.days if d.inputs_known and d.day_gap(day) <= INPUT_TOLERANCE]
    if not alike:
        return None, ("the same settings, but no decision with the same inputs: replay the paper run's inputs "
                      "to prove it")
    changed = d.signals[d.signals["differs"] & d.signals["day"].isin(set(alike))]
    if len(changed):
        row = changed.iloc[0]
        return False, (f"a signal differs from the same bars ({row['symbol']} {row['day'].date()}: "
                       f"{row['backtest']:.6g} vs {row['paper']:.6g})")
    return True, f"the same settings, and the same signals at the {len(alike)} decision(s) with the same inputs"


def compare(backtest: RunRecords, paper: RunRecords, days: list[pd.Timestamp] | None = None) -> Divergence:
    """The report over ``days`` (decision sessions; default: every session both runs decided on)."""
    common = sorted(set(backtest.equity["day"]) & set(paper.equity["day"]))
    if days is not None:
        common = [d for d in common if d in set(days)]
    if not common:
        raise InputError(f"{backtest.folder} and {paper.folder} share no decision sessions")
    start, end = common[0], common[-1]
    chosen = set(common)
    decisions = compare_decisions(backtest, paper, common)
    parity = intent_parity(backtest, paper, common, decisions)
    reference = _reference(backtest, end) or _reference(paper, end)
    a, b = _orders(backtest, chosen, reference), _orders(paper, chosen, reference)
    both = a.merge(b, on=KEY, how="outer", suffixes=("_backtest", "_paper"))
    eq_bt = backtest.equity.set_index("day")["equity"]
    eq_pp = paper.equity.set_index("day")["equity"]
    difference = float(eq_pp.loc[end] - eq_bt.loc[end])
    paired = both.dropna(subset=["qty_backtest", "qty_paper"])
    attribution = {
        "start": paper.initial_cash - backtest.initial_cash,
        "slippage": -float(paired["slippage_usd_paper"].sum() - paired["slippage_usd_backtest"].sum()),
        "costs": -float(both["commission_paper"].fillna(0).sum() - both["commission_backtest"].fillna(0).sum()),
        "unfilled": -float(both["opportunity_usd_paper"].fillna(0).sum()
                           - both["opportunity_usd_backtest"].fillna(0).sum()),
        "intents": _intents_effect(both, reference),
    }
    attribution["other"] = difference - sum(attribution.values())
    total = difference if abs(difference) >= NO_DIFFERENCE else float("nan")
    shares = {k: v / total for k, v in attribution.items()}
    gaps = ((both["decision_price_paper"] - both["decision_price_backtest"])
            / both["decision_price_backtest"] * 1e4).dropna()
    ip = parity.table
    intent_gaps = ((ip["decision_price_paper"] - ip["decision_price_backtest"])
                   / ip["decision_price_backtest"] * 1e4).dropna()
    gaps = intent_gaps if len(intent_gaps) else gaps
    price_gaps = {
        "compared": float(len(gaps)),
        "differing": float((gaps.abs() > 1e-2).sum()),
        "largest_bps": float(gaps.abs().max()) if len(gaps) else 0.0,
    }
    arrival = (_weighted(both["arrival_bps_backtest"], both["notional_backtest"].fillna(0)),
               _weighted(both["arrival_bps_paper"], both["notional_paper"].fillna(0)))
    unfilled = (float(both["opportunity_usd_backtest"].fillna(0).sum()),
                float(both["opportunity_usd_paper"].fillna(0).sum()))
    return Divergence(
        parity, both, attribution, shares, difference, (str(start.date()), str(end.date())),
        (_rejections(backtest), _rejections(paper)), price_gaps, arrival, unfilled,
        tuple(_notes(backtest, paper, common)),
        (exits_on_time(backtest, common), exits_on_time(paper, common)),
        decisions, same_code(backtest, paper, decisions), same_data(decisions),
    )


def _money(x: float) -> str:
    return units.usd(float(x), 2)


def _intent(row: pd.Series, side: str) -> str:
    if pd.isna(row[f"qty_{side}"]):
        return "none"
    return f"{row[f'side_{side}']} {row[f'qty_{side}']:g} {row[f'type_{side}']}"


def _word(held: bool | None) -> str:
    return {True: "yes", False: "NO", None: "not proven"}[held]


def provenance_line(d: Divergence) -> str:
    """Which of "same code" and "same data" held, and why."""
    (code, why_code), (data, why_data) = d.same_code, d.same_data
    data_word = "unknown" if data is None else _word(data)
    return f"same code: {_word(code)} ({why_code}); same data: {data_word} ({why_data})"


def _signal_lines(d: DecisionDiff) -> list[str]:
    s = d.signals
    if s.empty:
        return ["signals: none journaled on the compared decisions"]
    line = f"signals: {d.signals_changed} of {len(s)} differ over {s['day'].nunique()} decision(s)"
    top = d.largest_signal()
    if top is not None:
        line += (f"; largest {top['symbol']} {top['day'].date()}: backtest {top['backtest']:.6g} vs paper "
                 f"{top['paper']:.6g}")
    out = [line]
    if d.inputs_known and not d.inputs.empty:
        worst = d.inputs.sort_values("gap", ascending=False, kind="stable").head(5)
        shown = ", ".join(f"{r.symbol} {r.day.date()} {r.gap:.3g}" for r in worst.itertuples() if r.gap > 0)
        out.append(f"inputs: largest relative bar difference by symbol and date: {shown or 'none'}")
    return out


def render_lines(d: Divergence) -> list[str]:
    """The report as console lines: same code / same data first, then the parity lines."""
    lines = [provenance_line(d), d.parity.line(), d.parity.band_line()]
    attributed = d.parity.attributions()
    if attributed:
        lines.append("  unmatched, attributed to: " + ", ".join(f"{k} {v}" for k, v in attributed.items()))
    causes = d.parity.causes()
    if causes:
        lines.append("  unmatched, by cause: " + ", ".join(f"{k} {v}" for k, v in sorted(causes.items())))
    unmatched = d.parity.table[~d.parity.table["matched"]]
    for _, row in unmatched.head(SHOWN_UNMATCHED).iterrows():
        lines.append(f"  {row['day'].date()} {row['symbol']} [{row['tag']}] ({row['attribution']}): backtest "
                     f"{_intent(row, 'backtest')}, paper {_intent(row, 'paper')}: {'; '.join(row['reasons'])}")
    if len(unmatched) > SHOWN_UNMATCHED:
        lines.append(f"  ... {len(unmatched) - SHOWN_UNMATCHED} more in intents.csv")
    if d.decisions is not None:
        lines += _signal_lines(d.decisions)
    lines.append(f"venue rejections: backtest {d.rejections[0]}, paper {d.rejections[1]}")
    (bt_on, bt_all), (pp_on, pp_all) = d.exits
    lines.append(f"sells filled at the open after their decision: backtest {bt_on}/{bt_all}, paper {pp_on}/{pp_all}")
    lines += [f"note: {n}" for n in d.notes]
    lines.append(f"divergence {d.period[0]} .. {d.period[1]}: paper - backtest equity = {_money(d.equity_difference)}")
    for cause in CAUSES:
        shown = units.pct(d.shares[cause], 1)
        lines.append(f"  {cause:<9} {_money(d.attribution[cause]):>14}  {shown:>8}")
    g = d.price_gaps
    lines.append(f"decision prices: {int(g['differing'])} of {int(g['compared'])} differ "
                 f"(largest gap {units.bps(g['largest_bps'], 2)})")
    lines.append(f"arrival slippage: backtest {units.bps(d.arrival_bps[0], 2)}, paper {units.bps(d.arrival_bps[1], 2)}")
    lines.append(f"unfilled at reference prices: backtest {_money(d.unfilled_usd[0])}, "
                 f"paper {_money(d.unfilled_usd[1])}")
    return lines


def _finite(value: object) -> object:
    """JSON has no NaN: a figure that cannot be told is null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def payload(d: Divergence) -> dict[str, object]:
    return {k: _finite(v) for k, v in {
        "same_code": {"held": d.same_code[0], "why": d.same_code[1]},
        "same_data": {"held": d.same_data[0], "why": d.same_data[1]},
        "intents": {"matched": d.parity.matched, "total": d.parity.total, "share": d.parity.share,
                    "causes": d.parity.causes(), "attributed": d.parity.attributions(),
                    "within_band": d.parity.within_band, "band": d.parity.band},
        "signals": ({"compared": len(d.decisions.signals), "differ": d.decisions.signals_changed}
                    if d.decisions is not None else None),
        "rejections": {"backtest": d.rejections[0], "paper": d.rejections[1]},
        "sells_on_time": {"backtest": list(d.exits[0]), "paper": list(d.exits[1])},
        "period": d.period,
        "equity_difference": d.equity_difference,
        "attribution_usd": d.attribution,
        "shares": d.shares,
        "decision_price_gaps": d.price_gaps,
        "arrival_slippage_bps": {"backtest": d.arrival_bps[0], "paper": d.arrival_bps[1]},
        "unfilled_usd": {"backtest": d.unfilled_usd[0], "paper": d.unfilled_usd[1]},
        "notes": list(d.notes),
    }.items()}


def write_outputs(d: Divergence, folder: Path) -> None:
    """divergence.json (the figures), divergence.csv (orders per intent), intents.csv (parity),
    signals.csv (both runs' signals per day and symbol) and inputs.csv (bar differences, when known)."""
    d.matched.to_csv(folder / "divergence.csv", index=False)
    if d.decisions is not None:
        d.decisions.signals.to_csv(folder / "signals.csv", index=False)
        if d.decisions.inputs_known:
            d.decisions.inputs.to_csv(folder / "inputs.csv", index=False)
    table = d.parity.table.assign(reasons=["; ".join(r) for r in d.parity.table["reasons"]])
    table.to_csv(folder / "intents.csv", index=False)
    (folder / "divergence.json").write_text(json.dumps(payload(d), indent=2, default=str) + "\n")
