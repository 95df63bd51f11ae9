"""The strategy plugin API.

A plugin turns market history into signals: a DataFrame indexed by session date with one
column per symbol, values in [-1, 1] (sign = direction), NaN = no view (hold). It must be
*causal*: the row for date t depends only on bars up to and including t, because the backtest
calls it once on the whole history and paper trading on a trailing window, and both must agree
(``trade check-strategy`` verifies this).

Optional declarations (class attributes), each with a default that changes nothing:

- ``signal_kind``: what a value's size means — ``scores`` (conviction: weights ∝ |value|,
  normalised to ``signals.gross_target``), ``weights`` (the target fraction of equity itself) or
  ``ranks`` (only the order matters: the picks are weighted equally);
- ``nan_means``: ``hold`` (no view: keep the position) or ``exit`` (NaN closes it, like 0);
- ``trading_defaults``: how the plugin wants to be traded, in the shape of the YAML
  (``{"signals": {"rebalance_every": 1}}``), over the shipped defaults and under the user's files;
- ``exits(positions, session)``: the symbols to close now, from what is held (entry session and
  price, P&L, sessions held) — holding-period, take-profit and time-stop rules.

Minimal plugin::

    class Reversal(Strategy):
        name = "reversal"
        summary = "Buy last week's losers."

        class Params(StrategyParams):
            lookback: int = Field(5, ge=1, description="bars in the return window")

        @property
        def warmup_bars(self) -> int:
            return self.params.lookback + 1

        def signals(self, history: MarketData) -> pd.DataFrame:
            ret = history.close.pct_change(self.params.lookback, fill_method=None)
            return (-ret.rank(axis=1, pct=True) * 2 + 1).clip(-1, 1)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from framework.arrays import clip_frame
from framework.data import MarketData
from framework.errors import ConfigError, StrategyError
from framework.exits import ExitRule, PositionsView, checked_answer
from framework.signals import NanMeans, SignalKind

#: The plugin interface this framework implements (freqtrade's ``INTERFACE_VERSION``). A plugin
#: declares the one it was written for (``Strategy.interface_version``, this one by default); the
#: registry refuses a plugin written for one it does not support, saying which.
INTERFACE_VERSION = 1
SUPPORTED_INTERFACE_VERSIONS = frozenset({1})


class StrategyParams(BaseModel):
    """Base of every plugin's parameters: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Strategy(ABC):
    """Base class of strategy plugins. Subclasses set ``name``, ``summary`` and ``Params``, and
    may declare ``signal_kind``, ``nan_means``, ``trading_defaults``, an ``exits`` hook and the
    ``interface_version`` they were written for."""

    name: ClassVar[str]
    interface_version: ClassVar[int] = INTERFACE_VERSION
    summary: ClassVar[str] = ""
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    signal_kind: ClassVar[SignalKind | str] = SignalKind.SCORES
    nan_means: ClassVar[NanMeans | str] = NanMeans.HOLD
    trading_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None) -> None:
        if isinstance(params, StrategyParams):
            self.params = params
        else:
            self.params = self.parse_params(dict(params or {}))

    @classmethod
    def parse_params(cls, raw: Mapping[str, Any], *, origin: str = "strategy.params") -> Any:
        try:
            return cls.Params.model_validate(dict(raw))
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            raise ConfigError(f"{origin}: {cls.name}.{where}: {err['msg']}") from None

    @property
    def warmup_bars(self) -> int:
        """Bars of history needed before the first meaningful signal."""
        return 0

    @abstractmethod
    def signals(self, history: MarketData) -> pd.DataFrame:
        """Causal signals for every date in ``history`` (see the module docstring)."""

    def exits(self, positions: PositionsView, session: pd.Timestamp) -> Collection[str]:
        """The held symbols to close at this decision (the others are kept). Called at every
        decision, backtest and paper alike, only when a plugin overrides it."""
        return frozenset()

    @classmethod
    def check_interface(cls) -> None:
        """A :class:`StrategyError` unless the plugin's ``interface_version`` is one this framework supports."""
        version = cls.interface_version
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_INTERFACE_VERSIONS))
        if isinstance(version, bool) or not isinstance(version, int):
            raise StrategyError(f"strategy {cls.name!r}: interface_version {version!r} is not an integer "
                                f"(this trade supports {supported})")
        if version not in SUPPORTED_INTERFACE_VERSIONS:
            newer = version > max(SUPPORTED_INTERFACE_VERSIONS)
            advice = "upgrade trade" if newer else "update the plugin to the current interface"
            raise StrategyError(f"strategy {cls.name!r} is written for plugin interface {version}; this trade "
                                f"supports interface {supported}: {advice}")

    @classmethod
    def declarations(cls) -> tuple[SignalKind, NanMeans]:
        """The plugin's signal kind and NaN meaning, checked (a typo is the plugin's bug)."""
        try:
            kind = SignalKind(cls.signal_kind)
        except ValueError:
            raise StrategyError(f"strategy {cls.name!r}: signal_kind {cls.signal_kind!r} is not one of "
                                f"{', '.join(SignalKind)}") from None
        try:
            nan = NanMeans(cls.nan_means)
        except ValueError:
            raise StrategyError(f"strategy {cls.name!r}: nan_means {cls.nan_means!r} is not one of "
                                f"{', '.join(NanMeans)}") from None
        if not isinstance(cls.trading_defaults, Mapping):
            raise StrategyError(f"strategy {cls.name!r}: trading_defaults must be a mapping like "
                                "{'signals': {'rebalance_every': 1}}")
        return kind, nan


def warmup(strategy: Strategy, configured: int | None = None) -> int:
    """Bars of history before the first decision: the plugin's own, or the longer
    ``strategy.warmup_bars`` of the configuration (the loader refuses a shorter one)."""
    return max(strategy.warmup_bars, configured or 0)


def compute_signals(strategy: Strategy, history: MarketData) -> pd.DataFrame:
    """Call a plugin on ``history.adjusted()`` and hold it to the contract.

    The plugin sees history adjusted as of its last date (``data.adjust``: Alpaca's
    ``adjustment=all``, or as traded), exactly what the paper path receives from Alpaca; the
    engine keeps sizing and filling on the raw prices. Failures become a :class:`StrategyError`
    naming the first offending date, symbol and value. A plugin declaring ``nan_means = "exit"``
    has its NaN turned into 0 (flat) here, so every consumer sees the same signals.
    """
    try:
        raw = strategy.signals(history.adjusted())
    except Exception as e:
        raise StrategyError(f"strategy {strategy.name!r} failed: {type(e).__name__}: {e}") from e
    return check_signals(strategy, raw, history)


def check_signals(strategy: Strategy, raw: object, history: MarketData) -> pd.DataFrame:
    """Hold what a plugin returned to the contract (see :func:`compute_signals`)."""
    _, nan_means = strategy.declarations()
    if not isinstance(raw, pd.DataFrame):
        raise StrategyError(f"strategy {strategy.name!r} returned {type(raw).__name__}, not a DataFrame")
    unknown = [c for c in raw.columns if c not in history.close.columns]
    if unknown:
        raise StrategyError(f"strategy {strategy.name!r} returned unknown symbols: {unknown[:5]}")
    try:
        signals = raw.reindex(index=history.dates, columns=history.symbols).astype(float)
    except (TypeError, ValueError) as e:
        raise StrategyError(f"strategy {strategy.name!r} returned values that are not numbers: {e}") from None
    values = signals.to_numpy()
    _refuse(strategy.name, signals, np.isinf(values), "an infinite signal")
    with np.errstate(invalid="ignore"):
        _refuse(strategy.name, signals, np.abs(values) > 1 + 1e-12, "a signal outside [-1, 1]")
    if nan_means is NanMeans.EXIT:
        signals = signals.fillna(0.0)
    return clip_frame(signals, -1.0, 1.0)


def _refuse(name: str, signals: pd.DataFrame, bad: np.ndarray, what: str) -> None:
    """A :class:`StrategyError` naming the first bad cell (date, symbol, value) and the count."""
    if not bad.any():
        return
    row, col = np.argwhere(bad)[0]
    value = float(signals.iat[row, col])
    raise StrategyError(
        f"strategy {name!r} returned {what}: {value!r} for {signals.columns[col]} on "
        f"{signals.index[row].date()} ({int(bad.sum())} such value(s) in all)"
    )


# -- the exits hook, held to its contract (framework/exits.py: what the hook sees) --------------


def has_exit_rule(plugin: object) -> bool:
    """Whether a plugin overrides the exits hook (the base class's answers nothing)."""
    return isinstance(plugin, Strategy) and type(plugin).exits is not Strategy.exits


def plugin_exit_rule(plugin: object) -> ExitRule | None:
    """The plugin's exits hook held to its contract, or None when it declares none."""
    if not has_exit_rule(plugin):
        return None
    name = getattr(plugin, "name", type(plugin).__name__)

    def rule(positions: PositionsView, session: pd.Timestamp) -> Collection[str]:
        try:
            answer = plugin.exits(positions, session)  # type: ignore[attr-defined]
        except Exception as e:
            raise StrategyError(f"strategy {name!r} exits() failed on {session.date()}: "
                                f"{type(e).__name__}: {e}") from e
        return checked_answer(name, answer, positions, session)

    return rule
