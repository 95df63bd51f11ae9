"""Live venue adapters by name, as strategies are found by name (:mod:`framework.registry`).

An adapter is a *connect function* ``connect(settings, env=None, *, stream=None) -> Connection``:
the built-ins below, then the ``trade.adapters`` entry-point group of installed distributions.
The paper service, the loss watch, the dashboard and the rehearsal connect through
:func:`connect` (the adapter the config's ``paper.adapter`` names, Alpaca's by default), so
:mod:`framework.live` drives any venue whose broker is a :class:`framework.broker.LiveBroker`
and imports no ``brokers`` module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

from framework.broker import LiveBroker
from framework.data.bars import BarSource
from framework.errors import ConfigError
from framework.rate_limit import BudgetView

if TYPE_CHECKING:
    from framework.config.settings import Settings

ENTRY_POINT_GROUP = "trade.adapters"
#: adapter name -> "module:attribute" of its connect function
BUILTIN: dict[str, str] = {"alpaca": "brokers.alpaca.connect:connect"}
DEFAULT = "alpaca"


class Connection(Protocol):
    """One connection to a live venue: its broker, its bars, and what an operator is shown."""

    @property
    def broker(self) -> LiveBroker: ...

    @property
    def bars(self) -> BarSource: ...

    def budgets(self) -> tuple[tuple[str, BudgetView], ...]:
        """Each API's request budget (name, view): the dashboard's headroom."""
        ...

    def venue(self) -> tuple[str, str]:
        """What the venue is, in words ("Alpaca paper", "sandbox (loopback)"), and its trading URL."""
        ...

    def announce(self) -> str:
        """One line naming the venue, its host (redacted URL) and where its URL and keys came from
        (never a key): printed once by every command that talks to the venue."""
        ...

    def close(self) -> None: ...


Connect = Callable[..., Connection]


def available() -> dict[str, str]:
    """Every adapter name and its "module:attribute" (built-ins win a clash)."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **BUILTIN}


def connector(name: str) -> Connect:
    spec = available().get(name)
    if spec is None:
        known = ", ".join(sorted(available()))
        raise ConfigError(f"paper.adapter: no live adapter named {name!r} (known: {known})")
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def connect(settings: Settings, env: Mapping[str, str] | None = None, *, stream: bool | None = None,
            adapter: str | None = None) -> Connection:
    """The adapter named ``adapter`` (default: the config's ``paper.adapter``), connected; refused
    unless its broker is a :class:`LiveBroker`."""
    adapter = adapter or settings.paper.adapter
    conn = connector(adapter)(settings, env, stream=stream)
    if not isinstance(conn.broker, LiveBroker):
        conn.close()
        raise ConfigError(f"adapter {adapter!r} has no live broker "
                          "(framework.broker.LiveBroker: seed, poll, dispatch, adopt, clock, calendar, ...)")
    return conn


__all__ = ["BUILTIN", "DEFAULT", "ENTRY_POINT_GROUP", "Connection", "available", "connect", "connector"]
