"""backtrader's BackBroker with the per-bar and per-notification work equities never need.

Fills, cash, commission, slippage and every rule stay BackBroker's own; three things change, each
giving the very same state (tests hold SimBroker and BackBroker equal bar by bar):

- **Notifications.** BackBroker queues ``order.clone()`` for every notification (three or more
  per order). The clone is a ``copy.copy``, whose reflective path is slow on backtrader orders:
  each ``hasattr`` probe misses, falls into ``Order.__getattr__`` and raises inside the params
  lookup. Copying the instance dict gives the same snapshot at a fraction of the cost.
- **Carrying costs.** Every bar BackBroker walks every position twice: to charge credit interest
  (a date conversion per held position) and to adjust cash for futures-like instruments. With
  stock-like commission schemes that charge no interest both passes add exactly zero, so they
  are skipped; any other scheme gets BackBroker's bar step untouched.
- **Valuation.** The end-of-bar portfolio value walks every feed ever traded; a flat position
  adds exactly zero, so only held positions are valued.
"""

from __future__ import annotations

import backtrader as bt


def snapshot(order: bt.Order) -> bt.Order:
    """What ``order.clone()`` returns: a shallow copy, with ``executed`` cloned and its pending
    bits marked (so the receiver sees exactly the executions since the last notification)."""
    executed = order.executed
    executed.markpending()
    done = object.__new__(type(executed))
    done.__dict__ = executed.__dict__.copy()
    copy = object.__new__(type(order))
    copy.__dict__ = order.__dict__.copy()
    copy.executed = done
    return copy


class SimBroker(bt.brokers.BackBroker):
    def notify(self, order: bt.Order) -> None:
        self.notifs.append(snapshot(order))

    def carry_free(self) -> bool:
        """Holding a position costs nothing between bars: every commission scheme is stock-like
        (no daily cash adjustment) and charges no credit interest."""
        return all(info._stocklike and not info.p.interest for info in self.comminfo.values())

    def next(self) -> None:
        """BackBroker's bar step without the two carrying-cost passes, when both add zero."""
        if not self.carry_free():
            super().next()
            return
        while self._toactivate:
            self._toactivate.popleft().activate()
        if self.p.checksubmit:
            self.check_submitted()
        self._process_order_history()
        pending = self.pending  # one pass over the queue, exactly as BackBroker.next
        pending.append(None)
        while (order := pending.popleft()) is not None:
            if order.expire():
                self.notify(order)
                self._ococheck(order)
                self._bracketize(order, cancel=True)
            elif not order.active():
                pending.append(order)
            else:
                self._try_exec(order)
                if order.alive():
                    pending.append(order)
                elif order.status == bt.Order.Completed:
                    self._bracketize(order)
        self._get_value()

    def _get_value(self, datas: list[bt.feed.DataBase] | None = None, lever: bool = False) -> float:
        """The whole portfolio's value from its held positions alone. BackBroker's own walk
        over an explicit list does exactly its full walk minus the zeros; it answers a single
        data's value instead when the list has one entry, so that case keeps the full walk."""
        if datas is None and not self._fundhist:
            held = [data for data, position in self.positions.items() if position]
            if len(held) > 1:
                return super()._get_value(datas=held, lever=lever)
        return super()._get_value(datas=datas, lever=lever)
