"""Build the adapter from settings and the environment: the one place keys are read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import credentials, resolve_endpoints
from brokers.alpaca.feeds import AlpacaBars, make_data_client
from framework.config.settings import Settings


@dataclass
class Connection:
    broker: AlpacaBroker
    bars: AlpacaBars

    def close(self) -> None:
        self.broker.close()
        self.bars.client._session.close()


def connect(settings: Settings, env: Mapping[str, str] | None = None,
            *, stream: bool | None = None) -> Connection:
    """Endpoints are checked (live refused) before the keys, so no request carries a key early."""
    env = os.environ if env is None else env
    cfg = settings.paper
    ends = resolve_endpoints(cfg.alpaca, env)
    creds = credentials(env)
    timeout = settings.orders.request_timeout_seconds
    use_stream = cfg.alpaca.stream if stream is None else stream
    broker = AlpacaBroker(creds, ends, timeout=timeout, poll_interval=cfg.poll_interval_seconds,
                          stream=use_stream)
    bars = AlpacaBars(make_data_client(creds, ends, timeout), feed=cfg.alpaca.feed,
                      adjustment=cfg.alpaca.adjustment)
    return Connection(broker, bars)
