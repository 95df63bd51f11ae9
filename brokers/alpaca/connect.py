"""Build the adapter from settings and the environment: the one place keys are read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.config import credentials, host_of, is_live_host, resolve_endpoints
from brokers.alpaca.feeds import AlpacaBars, make_data_client
from brokers.alpaca.session import RequestPolicy
from framework.config.settings import Settings
from framework.rate_limit import BudgetView
from framework.redaction import SECRETS
from framework.retry import RetryPolicy


def request_policy(settings: Settings) -> RequestPolicy:
    """Timeout, budgets and read retry from ``orders.*`` and ``paper.alpaca.*``."""
    orders, alpaca = settings.orders, settings.paper.alpaca
    retry = RetryPolicy(attempts=orders.max_retries + 1, initial=orders.backoff_initial_seconds,
                        maximum=max(orders.backoff_max_seconds, orders.backoff_initial_seconds),
                        deadline=alpaca.read_deadline_seconds)
    return RequestPolicy(timeout=orders.request_timeout_seconds,
                         trading_per_minute=orders.rate_limit_per_minute,
                         data_per_minute=alpaca.data_rate_limit_per_minute, retry=retry)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Connection:
    """The Alpaca adapter's connection (:class:`framework.adapters.Connection`)."""

    broker: AlpacaBroker
    bars: AlpacaBars
    trading_url: str = ""

    def budgets(self) -> tuple[tuple[str, BudgetView], ...]:
        return tuple((api, client._session.budget.view())
                     for api, client in (("trading", self.broker.client), ("data", self.bars.client)))

    def venue(self) -> tuple[str, str]:
        host = host_of("trading", self.trading_url)
        name = "sandbox (loopback)" if host in LOOPBACK else "Alpaca LIVE" if is_live_host(host) else "Alpaca paper"
        return name, self.trading_url

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
    SECRETS.add(creds.key_id)  # no log line of this process can carry them
    SECRETS.add(creds.secret_key)
    policy = request_policy(settings)
    use_stream = cfg.alpaca.stream if stream is None else stream
    broker = AlpacaBroker(creds, ends, policy=policy, poll_interval=cfg.poll_interval_seconds,
                          stream=use_stream)
    bars = AlpacaBars(make_data_client(creds, ends, policy), feed=cfg.alpaca.feed,
                      adjustment=cfg.alpaca.adjustment)
    return Connection(broker, bars, ends.trading_url)
