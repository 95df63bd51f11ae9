"""The alerting of one process: sinks from ``alerts:`` config, the dispatcher, the journal feed."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from framework.alerts.alert import Alert
from framework.alerts.dispatcher import AlertDispatcher
from framework.alerts.from_journal import CURSOR, alerts_from_events
from framework.alerts.sinks import LogFileSink, Sink, WebhookSink
from framework.config.ops import AlertsConfig
from framework.journal import Journal
from framework.redaction import SECRETS
from framework.retry import RetryPolicy

log = logging.getLogger("trade.alerts")


def build_sinks(cfg: AlertsConfig, env: Mapping[str, str] | None = None) -> list[Sink]:
    """A webhook whose ``url_env`` is unset is left out, with a warning naming the variable."""
    env = os.environ if env is None else env
    sinks: list[Sink] = []
    for hook in cfg.webhooks:
        url = hook.resolved_url(dict(env))
        if url is None:
            log.warning("alerts: webhook skipped, environment variable %s is not set", hook.url_env)
            continue
        SECRETS.add(url)
        sinks.append(WebhookSink(url, hook.format, cfg.timeout_seconds))
    if cfg.log_file:
        sinks.append(LogFileSink(Path(cfg.log_file).expanduser()))
    return sinks


class Alerting:
    """``emit`` an alert now, or ``check_journal`` for the ones the journal calls for."""

    def __init__(self, cfg: AlertsConfig, account: str, *, sinks: list[Sink] | None = None) -> None:
        self.cfg, self.account = cfg, account
        retry = RetryPolicy(attempts=cfg.attempts, initial=cfg.backoff_initial_seconds,
                            maximum=max(cfg.backoff_max_seconds, cfg.backoff_initial_seconds),
                            deadline=float("inf"))
        self.dispatcher = AlertDispatcher(build_sinks(cfg) if sinks is None else sinks,
                                          queue_size=cfg.queue_size, retry=retry)

    def emit(self, alert: Alert) -> None:
        self.dispatcher.emit(alert)

    def check_journal(self, journal: Journal) -> list[Alert]:
        """Alert what the journal recorded since the last check (by any process). Call it once
        at start too: a journal never checked before starts at its newest event (no history
        is alerted), one checked before alerts what happened since (a `trade halt` between
        two cron runs)."""
        found = alerts_from_events(journal.claim_events(CURSOR), self.account, journal)
        for alert in found:
            self.emit(alert)
        return found

    def close(self) -> None:
        self.dispatcher.close(self.cfg.flush_seconds)


__all__ = ["Alerting", "build_sinks"]
