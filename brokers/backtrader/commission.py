"""Costs on backtrader: commission from the shared cost model, slippage through bt's settings."""

from __future__ import annotations

import backtrader as bt

from framework.config.backtest import BacktestConfig, CommissionConfig
from framework.costs import commission


class SharedCommission(bt.CommInfoBase):
    """Stock-like commission computed by :func:`framework.costs.commission`."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("config", None))

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        cfg: CommissionConfig = self.p.config
        return commission(size, price, cfg)


def configure_broker(broker: bt.brokers.BackBroker, cfg: BacktestConfig) -> None:
    broker.setcash(cfg.cash)
    broker.addcommissioninfo(SharedCommission(config=cfg.commission))
    slip = {"slip_open": True, "slip_limit": True, "slip_match": True, "slip_out": False}
    if cfg.slippage.mode == "percent":
        broker.set_slippage_perc(cfg.slippage.value, **slip)
    else:
        broker.set_slippage_fixed(cfg.slippage.value, **slip)
    broker.set_coc(True)  # only orders that ask for it (time_in_force=cls) fill at the close
    if cfg.volume_cap is not None:
        broker.set_filler(bt.broker.fillers.FixedBarPerc(perc=cfg.volume_cap * 100))
