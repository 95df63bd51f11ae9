"""Where to connect and with which keys: config keys, then the conventional environment variables.

Keys come only from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` and are kept out of ``repr``
so they never reach a log line, an error message or the journal.

The live-trading guard compares *hosts as they will be resolved*, not URL strings: case,
a trailing dot, a port, user info, percent-escapes and Unicode spellings that IDNA maps to
ASCII (full-width letters, ideographic full stops, invisible characters) all name the same
host. Any Alpaca host other than the paper-trading and market-data ones counts as live.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from framework.config.paper import AlpacaConfig
from framework.errors import ConfigError, LiveTradingRefused

KEY_ENV, SECRET_ENV = "APCA_API_KEY_ID", "APCA_API_SECRET_KEY"
URL_ENV = {"trading_url": "APCA_API_BASE_URL", "data_url": "APCA_API_DATA_URL",
           "stream_url": "APCA_API_STREAM_URL"}
ALPACA_DOMAIN = "alpaca.markets"
NOT_LIVE_HOSTS = frozenset({"paper-api.alpaca.markets", "data.alpaca.markets",
                            "stream.data.alpaca.markets"})
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # parsers disagree on URLs holding these


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


def _shown(url: str) -> str:
    """A URL fit for an error message: scheme and host only (user info may hold a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"



def host_of(name: str, url: str) -> str:
    """The host ``url`` connects to, normalised: lower case, ASCII (IDNA), no trailing dot,
    without user info or port."""
    if _UNSAFE.search(url):
        raise ConfigError(f"paper.alpaca.{name}: the URL holds a space, a control character"
                          " or a backslash")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 -- validates the port
        host = unquote(parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ConfigError(f"paper.alpaca.{name}: {_shown(url)!r} has no valid host name") from None
    return host.lower().rstrip(".")


def is_live_host(host: str) -> bool:
    on_alpaca = host == ALPACA_DOMAIN or host.endswith("." + ALPACA_DOMAIN)
    return on_alpaca and host not in NOT_LIVE_HOSTS


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    if urlsplit(url).scheme not in schemes or not host_of(name, url):
        raise ConfigError(f"paper.alpaca.{name}: {_shown(url)!r} is not a {'/'.join(schemes)} URL")
    return url.rstrip("/")


def _rest_base(url: str) -> str:
    """alpaca-py appends /v2 itself: accept a URL with or without it."""
    return url[: -len("/v2")] if url.endswith("/v2") else url


def shown_url(url: str) -> str:
    """A URL fit for a person's screen: scheme, host and port (user info may hold a secret)."""
    return _shown(url)


def sources(cfg: AlpacaConfig, env: Mapping[str, str] | None = None) -> str:
    """Where the trading URL and the keys came from, in words (never a value of a key)."""
    env = os.environ if env is None else env
    url = (f"{URL_ENV['trading_url']} in the environment" if env.get(URL_ENV["trading_url"])
           else "paper.alpaca.trading_url in the config")
    return f"URL from {url}; keys from the environment ({KEY_ENV}, {SECRET_ENV})"


def resolve_endpoints(cfg: AlpacaConfig, env: Mapping[str, str] | None = None) -> Endpoints:
    """The environment wins over the config file; a live Alpaca host, in any of the three URLs
    and however it is spelled, needs ``allow_live``."""
    env = os.environ if env is None else env
    raw = {name: env.get(var) or getattr(cfg, name) for name, var in URL_ENV.items()}
    trading = _rest_base(_check_url("trading_url", raw["trading_url"], ("http", "https")))
    data = _rest_base(_check_url("data_url", raw["data_url"], ("http", "https")))
    stream = _check_url("stream_url", raw["stream_url"], ("ws", "wss"))
    live = [name for name in URL_ENV if is_live_host(host_of(name, raw[name]))]
    if live and not cfg.allow_live:
        hosts = ", ".join(f"{n} ({URL_ENV[n]}): {host_of(n, raw[n])}" for n in live)
        raise LiveTradingRefused(
            f"live-trading endpoint: {hosts}; set paper.alpaca.allow_live: true to trade real money"
        )
    return Endpoints(trading, data, stream, paper=not live)
