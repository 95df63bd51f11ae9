"""Buys must fit the buying power the venue grants at submission.

Alpaca checks buying power when an order arrives, and a pending sell frees nothing until it fills.
So growth is sized to the venue's buying power alone — never to the proceeds of this decision's
sells — and what does not fit is *deferred*: reported, and pursued at the next decision, instead of
being sent to be refused. Each opening order is valued as the venue values it: a market buy at the
price, a limit buy at its limit (the price plus the limit offset, taken up to the next price
increment, so no rounding of the limit can make it cost more than planned), an opening short 3%
above the price.
"""

from __future__ import annotations

import numpy as np

from framework.arrays import nan_to_zero
from framework.risk.decisions import Action, Reason
from framework.risk.runner import Adjusted, RiskInput
from framework.sizing import round_qty
from framework.venue.buying_power import SHORT_PREMIUM

SHORT_MARKUP = float(SHORT_PREMIUM)  # the venue model's premium, as the float arrays here need


def limit_value(prices: np.ndarray, markup: float) -> np.ndarray:
    """The most a limit at ``prices × (1 + markup)`` can be once rounded to the venue's increment
    (a cent from $1, 1/100 cent below): that product taken up to the increment."""
    raw = prices * (1.0 + markup)
    step = np.where(raw >= 1.0, 100.0, 10_000.0)
    return np.ceil(np.round(raw * step, 6)) / step


def growth_cost(t: np.ndarray, risk: RiskInput) -> np.ndarray:
    """Dollars of buying power each target's growth takes (0 where a position shrinks)."""
    c = risk.current
    grow = np.clip(np.abs(t) - np.abs(c), 0.0, None)
    prices = nan_to_zero(risk.prices)
    buy = limit_value(prices, risk.buy_markup) if risk.buy_markup is not None else prices
    price = np.where(t < 0, prices * SHORT_MARKUP, buy)
    return grow * price


class BuyingPower:
    holds_still = True  # targets equal to the book pass untouched (the runner skips it on a hold)

    def apply(self, t: np.ndarray, risk: RiskInput) -> Adjusted | None:
        if not (np.abs(t) > np.abs(risk.current)).any():  # nothing grows: nothing needs buying power
            return None
        cost = growth_cost(t, risk)
        need = float(cost.sum())
        available = max(risk.buying_power, 0.0)
        if need <= available + 1e-9:
            return None
        c = risk.current
        grown = round_qty(c + (t - c) * (available / need), risk.fractional)
        keep_side = (np.sign(grown) == np.sign(t)) & (np.abs(grown) >= np.abs(c))
        out = np.where(cost > 0, np.where(keep_side, grown, c), t)
        detail = f"deferred: buys need {need:,.2f} > buying power {available:,.2f} (pending sells free nothing)"
        return Adjusted(out, Reason.BUYING_POWER, detail, Action.DEFER)
