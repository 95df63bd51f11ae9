"""Logs of the long-running commands: timestamped, text or JSON lines, to a rotating file.

`trade paper` (loop), `trade watch` and `trade dashboard` run for days: every line they log is
stamped (UTC, ISO 8601, milliseconds: the process's own clock, which is what a log is about;
venue times inside messages are the venue's), goes to a size-rotated file (stdlib
``RotatingFileHandler``) and, for a foreground service, to stderr. Every handler carries the
process's :data:`~framework.redaction.SECRETS` filter, so a key, the dashboard's token or a
webhook URL never reaches a line.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from framework.config.ops import LogsConfig
from framework.redaction import _STANDARD, SECRETS

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def _stamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-11-30T14:05:01.250Z INFO    trade.paper: orders sent: 3``"""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _stamp(record.created)


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, any ``extra=``
    fields, and ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": _stamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exception"] = record.exc_text
        return json.dumps(doc, default=str, ensure_ascii=False)


def log_file(cfg: LogsConfig, journal: str | Path) -> Path:
    """``logs.file``, else ``trade.log`` beside the journal."""
    return Path(cfg.file).expanduser() if cfg.file else Path(journal).expanduser().parent / "trade.log"


def _formatter(cfg: LogsConfig) -> logging.Formatter:
    return JsonLinesFormatter() if cfg.format == "json" else TextFormatter()


@contextmanager
def service_logging(cfg: LogsConfig, path: Path | None, *, console: str | None) -> Iterator[Path | None]:
    """Install the file handler (``path``; None: no file) and a timestamped stderr handler for
    records at ``console`` level and above (None: none) on the root logger for the duration;
    both are removed and closed after."""
    root = logging.getLogger()
    handlers: list[logging.Handler] = []
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = RotatingFileHandler(path, maxBytes=cfg.max_bytes, backupCount=cfg.backups, encoding="utf-8")
        to_file.setFormatter(_formatter(cfg))
        handlers.append(to_file)
    level = logging.getLevelName(cfg.level)
    for handler in handlers:
        handler.setLevel(level)
    if console:  # a person (or journald) reads this one: text, whatever the file's format
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setFormatter(TextFormatter())
        to_stderr.setLevel(max(logging.getLevelName(console), level))
        handlers.append(to_stderr)
    for handler in handlers:
        handler.addFilter(SECRETS)
        root.addHandler(handler)
    previous = root.level
    root.setLevel(min(level, previous) if previous else level)
    try:
        yield path
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(previous)


__all__ = ["JsonLinesFormatter", "TextFormatter", "log_file", "service_logging"]
