"""Where to connect and with which keys: config keys, then the conventional environment variables.

Keys come only from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` and are kept out of ``repr``
so they never reach a log line, an error message or the journal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from framework.config.paper import AlpacaConfig
from framework.errors import ConfigError, LiveTradingRefused

KEY_ENV, SECRET_ENV = "APCA_API_KEY_ID", "APCA_API_SECRET_KEY"
URL_ENV = {"trading_url": "APCA_API_BASE_URL", "data_url": "APCA_API_DATA_URL",
           "stream_url": "APCA_API_STREAM_URL"}
LIVE_HOSTS = frozenset({"api.alpaca.markets"})


@dataclass(frozen=True, slots=True)
class Credentials:
    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"


@dataclass(frozen=True, slots=True)
class Endpoints:
    trading_url: str
    data_url: str
    stream_url: str
    paper: bool


def credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """Both keys from the environment, or one line naming what is missing (never a value)."""
    env = os.environ if env is None else env
    missing = [name for name in (KEY_ENV, SECRET_ENV) if not env.get(name)]
    if missing:
        raise ConfigError(f"missing API keys: set {' and '.join(missing)} in the environment")
    return Credentials(env[KEY_ENV], env[SECRET_ENV])


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ConfigError(f"paper.alpaca.{name}: {url!r} is not a {'/'.join(schemes)} URL")
    return url.rstrip("/")


def _rest_base(url: str) -> str:
    """alpaca-py appends /v2 itself: accept a URL with or without it."""
    return url[: -len("/v2")] if url.endswith("/v2") else url


def resolve_endpoints(cfg: AlpacaConfig, env: Mapping[str, str] | None = None) -> Endpoints:
    """The environment wins over the config file; a live trading host needs ``allow_live``."""
    env = os.environ if env is None else env
    raw = {name: env.get(var) or getattr(cfg, name) for name, var in URL_ENV.items()}
    trading = _rest_base(_check_url("trading_url", raw["trading_url"], ("http", "https")))
    data = _rest_base(_check_url("data_url", raw["data_url"], ("http", "https")))
    stream = _check_url("stream_url", raw["stream_url"], ("ws", "wss"))
    live = any(urlparse(u).hostname in LIVE_HOSTS for u in (trading, stream))
    if live and not cfg.allow_live:
        raise LiveTradingRefused(
            f"{trading} is a live-trading endpoint;"
            " set paper.alpaca.allow_live: true to trade real money"
        )
    return Endpoints(trading, data, stream, paper=not live)
