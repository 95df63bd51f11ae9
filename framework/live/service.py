"""What a long-running command (`trade paper`, `trade watch`, `trade dashboard`) sets up around
itself: logs and alerts from config, a clean stop on SIGINT and SIGTERM, and a runner of its own
when it needs fresh books."""

from __future__ import annotations

import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from framework.adapters import connect
from framework.alerts import Alerting
from framework.config.settings import Settings
from framework.live.runner import PaperRunner
from framework.logs import log_file, service_logging


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop a long-running command the same clean way (exit 130,
    alerts flushed, the journal closed), even when it was started with SIGINT ignored (from a
    script's background job, say). Main thread only."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


@contextmanager
def service(settings: Settings, *, dry_run: bool, console: bool) -> Iterator[Alerting | None]:
    """Logs (``logs.*``; a dry run writes none) and alerts (``alerts.*``; a dry run raises none)
    around a command; ``console``: log lines on stderr at ``logs.level`` (else warnings only)."""
    path = None if dry_run else log_file(settings.logs, settings.paper.journal)
    with service_logging(settings.logs, path, console=settings.logs.level if console else "WARNING"):
        alerting = None if dry_run else Alerting(settings.alerts, settings.paper.account)
        try:
            yield alerting
        finally:
            if alerting is not None:
                alerting.close()


@contextmanager
def fresh_runner(settings: Settings, env: Mapping[str, str] | None = None) -> Iterator[PaperRunner]:
    """A runner on its own connection, its books rebuilt from the journal as it is now (`trade
    watch`'s after-close step: cycles run in other processes, from cron)."""
    conn = connect(settings, env, stream=False)
    try:
        runner = PaperRunner(settings, conn.broker, conn.bars)
        try:
            yield runner
        finally:
            runner.close()
    finally:
        conn.close()


__all__ = ["fresh_runner", "service", "stop_on_signals"]
