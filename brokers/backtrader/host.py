"""The thin backtrader strategy that hands each session to the execution core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import backtrader as bt
import pandas as pd

from brokers.backtrader.sessions import KNOWN_STATUS
from framework.data import session_time


@dataclass
class HostHooks:
    """What the host calls; built by the runner so the host holds no logic of its own."""

    on_session: Callable[[pd.Timestamp], None]
    on_notify: Callable[[bt.Order], None]
    #: The sessions by backtrader date number, when the runner knows them (each bar's date is
    #: looked up rather than converted); any other bar is converted.
    days: Mapping[float, pd.Timestamp] = field(default_factory=dict)


class EngineHost(bt.Strategy):
    params = (("hooks", None),)  # backtrader's parameter idiom, confined to this package

    def notify_order(self, order: bt.Order) -> None:
        self.p.hooks.on_notify(order)

    def _addnotification(self, order: bt.Order, quicknotify: bool = False) -> None:
        """Queue the order notification, and nothing else: the execution core keeps the books,
        so backtrader's own trade ledger (a ``Trade`` per position, updated and copied on every
        execution, for ``notify_trade`` and observers this host does not have) is not kept."""
        if not order.p.simulated:
            self._orderspending.append(order)
        if quicknotify:
            self._notify(qorders=[order], qtrades=[])

    def _getminperstatus(self) -> int:
        """backtrader's min-period status (its maximum over the feeds of the minimum period less
        the feed's length), as :class:`SessionCerebro` worked it out for this session, instead
        of taking the length of every feed again; computed as backtrader does under any other
        loop."""
        known = self.__dict__.pop(KNOWN_STATUS, None)
        if known is None:
            return super()._getminperstatus()
        self._minperstatus = known
        return known

    def prenext(self) -> None:  # some symbols have not listed yet: trade the rest
        self.next()

    def next(self) -> None:
        hooks = self.p.hooks
        datenum = self.datas[0].datetime[0]
        day = hooks.days.get(datenum)
        hooks.on_session(pd.Timestamp(bt.num2date(datenum).date()) if day is None else day)


__all__ = ["EngineHost", "HostHooks", "session_time"]
