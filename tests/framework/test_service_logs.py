"""Service logs: timestamped text or JSON lines, a rotating file, secrets masked, nothing left behind."""

from __future__ import annotations

import json
import logging
import re

from framework.config.ops import LogsConfig
from framework.logs import log_file, service_logging
from framework.redaction import SECRETS

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def test_text_lines_are_timestamped_and_secrets_masked(tmp_path) -> None:
    path = tmp_path / "trade.log"
    SECRETS.add("TOKEN-4f1b2c-never-logged")
    root = logging.getLogger()
    before = list(root.handlers)
    with service_logging(LogsConfig(), path, console=None):
        logging.getLogger("trade.paper").info("orders sent: %d (token %s)", 3, "TOKEN-4f1b2c-never-logged")
    assert root.handlers == before  # removed (and closed) afterwards
    line = path.read_text().strip()
    assert re.fullmatch(STAMP + r" INFO    trade\.paper: orders sent: 3 \(token \*\*\*\)", line), line


def test_json_lines_carry_extra_fields_and_exceptions(tmp_path) -> None:
    path = tmp_path / "trade.log"
    with service_logging(LogsConfig(format="json"), path, console=None):
        log = logging.getLogger("trade.watch")
        log.warning("breach", extra={"session": "2019-06-04", "equity": 96500.5})
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.exception("failed")
    first, second = (json.loads(x) for x in path.read_text().splitlines())
    assert re.fullmatch(STAMP, first["time"]) and first["level"] == "WARNING" and first["logger"] == "trade.watch"
    assert first["session"] == "2019-06-04" and first["equity"] == 96500.5 and first["message"] == "breach"
    assert "ZeroDivisionError" in second["exception"]


def test_the_file_rotates_and_keeps_the_configured_backups(tmp_path) -> None:
    path = tmp_path / "trade.log"
    with service_logging(LogsConfig(max_bytes=10_000, backups=2), path, console=None):
        log = logging.getLogger("trade.rotation")
        for i in range(600):
            log.info("line %04d %s", i, "x" * 60)
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated == ["trade.log", "trade.log.1", "trade.log.2"]
    assert all(p.stat().st_size <= 10_000 + 200 for p in tmp_path.iterdir())
    assert "line 0599" in path.read_text()


def test_console_lines_go_to_stderr_at_their_level(tmp_path, capsys) -> None:
    with service_logging(LogsConfig(), None, console="WARNING"):
        logging.getLogger("trade.paper").info("quiet")
        logging.getLogger("trade.paper").warning("loud")
    err = capsys.readouterr().err
    assert "loud" in err and "quiet" not in err and re.search(STAMP + " WARNING", err)


def test_default_file_sits_beside_the_journal(tmp_path) -> None:
    assert log_file(LogsConfig(), tmp_path / "paper" / "journal.sqlite") == tmp_path / "paper" / "trade.log"
    assert log_file(LogsConfig(file=str(tmp_path / "x.log")), "ignored/journal.sqlite") == tmp_path / "x.log"
