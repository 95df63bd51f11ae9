"""`paper.adapter` chooses the live venue adapter by name (issue 27: the next broker gets the
paper service free): a name nobody registered is one line and exit 2 before anything is written,
and a registered one is what every live command connects through."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from framework import adapters
from framework.cli import main
from framework.config import load_settings
from framework.config.settings import Settings
from framework.errors import ConfigError

CALLS: list[tuple[str, Any]] = []


class _NotLive:
    """A connection whose broker is no LiveBroker: connect() must refuse it and close it."""

    broker = object()
    closed = False

    def close(self) -> None:
        _NotLive.closed = True


def fake_connect(settings: Settings, env: Any = None, *, stream: bool | None = None) -> _NotLive:
    CALLS.append((settings.paper.adapter, stream))
    return _NotLive()


def _config(tmp_path: Path, adapter: str) -> Path:
    path = tmp_path / "paper.yaml"
    path.write_text(f"paper:\n  adapter: {adapter}\n  journal: {tmp_path / 'journal.sqlite'}\n")
    return path


@pytest.mark.parametrize("command", [["paper", "--once"], ["halt", "--reason", "test"]])
def test_an_unknown_adapter_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, command) -> None:
    config = _config(tmp_path, "interactive_brokers")
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--config", str(config)])
    assert exit_info.value.code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err[-1].startswith("error: ") and len(err) == 1, err
    assert "paper.adapter: no live adapter named 'interactive_brokers' (known: alpaca" in err[0]
    assert not (tmp_path / "journal.sqlite").exists()


def test_the_configured_adapter_is_the_one_connected(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(adapters.BUILTIN, "loop", f"{__name__}:fake_connect")
    monkeypatch.setitem(sys.modules, __name__, sys.modules[__name__])
    settings = load_settings([str(_config(tmp_path, "loop"))])
    CALLS.clear()
    with pytest.raises(ConfigError, match="adapter 'loop' has no live broker"):
        adapters.connect(settings, stream=False)
    assert CALLS == [("loop", False)] and _NotLive.closed


def test_the_default_adapter_is_not_echoed_and_a_chosen_one_is(tmp_path) -> None:
    assert "adapter" not in Settings().model_dump(mode="json")["paper"]  # old runs' echoes unchanged
    assert Settings().model_dump(mode="json", context={"every_key": True})["paper"]["adapter"] == "alpaca"
    chosen = load_settings([str(_config(tmp_path, "loop"))])
    assert chosen.model_dump(mode="json")["paper"]["adapter"] == "loop"
