"""Secrets never reach a person's screen or a log: URLs shown by host only, known secrets masked.

A webhook URL often *is* the credential (Slack's ``/services/T…/B…/XXXX``), the dashboard's token
and the broker keys are credentials: :func:`redact_url` keeps what a person needs to tell one
endpoint from another (scheme, host, port) and :class:`SecretFilter` masks every registered
secret in every log record before any handler formats it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

MASK = "***"
#: LogRecord attributes of every record; anything else was passed with ``extra=`` and is data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XXXX?x=1`` → ``https://hooks.slack.com/***``.
    User info, path, query and fragment are dropped; a URL that does not parse is masked whole."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    rest = "/" + MASK if (parts.path.strip("/") or parts.query or parts.fragment or parts.username) else ""
    return f"{parts.scheme}://{netloc}{rest}"


class SecretFilter(logging.Filter):
    """Masks every registered secret in a record's message and arguments (installed on each
    handler the project adds, so third-party loggers are covered too)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:  # a 1-3 character "secret" would mask ordinary text
            with self._lock:
                self._secrets.add(secret)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def scrub_value(self, value: Any) -> Any:
        """A structured value (an ``extra=`` field, an alert's details) with every secret masked in
        every string it holds, however deeply nested."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub_value(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        text = str(value)  # any other object is shown as its text by the formatters
        clean = self.scrub(text)
        return value if clean == text else clean

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, self.scrub_value(value))
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message or record.exc_info or record.exc_text:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


#: The process's one filter: commands register the secrets they hold (keys, token, webhook URLs).
SECRETS = SecretFilter()


__all__ = ["MASK", "SECRETS", "SecretFilter", "redact_url"]
