"""Config of running paper trading as a service: alerts, logs and the dashboard.

Webhook URLs often carry a secret in their path (Slack's do): the URL is a ``SecretStr``, so a
dump of the settings (the journal's copy of the config, ``--help`` defaults, error messages)
shows ``**********``; anything printed for a person goes through
:func:`framework.redaction.redact_url`.
"""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from framework.config.base import ConfigModel


class WebhookConfig(ConfigModel):
    """One HTTP endpoint that receives each alert as a JSON POST. ``url``, or ``url_env``: the
    name of an environment variable holding it (keeps the secret out of the YAML)."""

    url: SecretStr | None = None
    url_env: str | None = Field(None, min_length=1)
    format: Literal["json", "slack"] = "json"

    @model_validator(mode="after")
    def _one_url(self) -> WebhookConfig:
        # The error never repeats the URL: it may hold a secret.
        if (self.url is None) == (self.url_env is None):
            raise ValueError("a webhook needs exactly one of url or url_env")
        if self.url is not None:
            parts = urlsplit(self.url.get_secret_value())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("a webhook url must be http:// or https:// with a host")
        return self

    def resolved_url(self, env: dict[str, str] | None = None) -> str | None:
        """The URL to post to (None: ``url_env`` is not set in the environment)."""
        if self.url is not None:
            return self.url.get_secret_value()
        return (os.environ if env is None else env).get(self.url_env or "") or None


class AlertsConfig(ConfigModel):
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    log_file: str | None = None
    headroom_below: float = Field(0.25, ge=0, le=1)
    queue_size: int = Field(1000, ge=1)
    attempts: int = Field(5, ge=1, le=20)
    backoff_initial_seconds: float = Field(1.0, gt=0)
    backoff_max_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(5.0, gt=0)
    flush_seconds: float = Field(10.0, ge=0)


class LogsConfig(ConfigModel):
    file: str | None = None
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: int = Field(10_000_000, ge=10_000)
    backups: int = Field(5, ge=0, le=100)


class DashboardConfig(ConfigModel):
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8780, ge=0, le=65535)
    refresh_seconds: float = Field(2.0, gt=0, le=5)
    broker_refresh_seconds: float = Field(15.0, gt=0)
    budget_reserve: float = Field(0.25, ge=0, lt=1)
    rolling_sessions: int = Field(20, ge=1)
    recent_fills: int = Field(20, ge=1, le=500)
