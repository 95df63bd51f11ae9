"""Alerts delivered in the background: trading never waits for, or stops because of, a sink.

Each sink has its own worker thread and bounded queue: a slow or dead webhook delays only its
own deliveries. :meth:`AlertDispatcher.emit` never blocks: when a sink's queue is full the oldest
alert waiting for it is dropped (counted and logged). A failed delivery is tried again after an
exponential backoff with jitter (:class:`~framework.retry.RetryPolicy`), then given up (logged
with the sink's redacted name, never its URL). At exit :meth:`close` lets the workers drain for
at most ``flush_seconds``.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from framework.alerts.alert import Alert, Severity
from framework.alerts.sinks import Sink, SinkError
from framework.retry import RetryPolicy

log = logging.getLogger("trade.alerts")
LEVELS = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING, Severity.CRITICAL: logging.ERROR}


@dataclass
class SinkStats:
    sent: int = 0
    failed: int = 0  # given up after every try
    dropped: int = 0  # pushed out of a full queue
    retries: int = 0


class _Worker:
    def __init__(self, sink: Sink, size: int, retry: RetryPolicy, rng: random.Random,
                 clock: Callable[[], float]) -> None:
        self.sink, self.retry, self._rng, self._clock = sink, retry, rng, clock
        self.queue: queue.Queue[Alert] = queue.Queue(maxsize=size)
        self.stats = SinkStats()
        self.stop = threading.Event()  # set at close: drain until the deadline, then quit
        self.deadline = float("inf")
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"alerts {sink.name}", daemon=True)

    def put(self, alert: Alert) -> None:
        with self._lock:
            while True:
                try:
                    self.queue.put_nowait(alert)
                    return
                except queue.Full:
                    try:
                        self.queue.get_nowait()
                        self.queue.task_done()
                        self.stats.dropped += 1
                        log.warning("alert queue of %s is full: the oldest alert was dropped", self.sink.name)
                    except queue.Empty:
                        pass

    def _run(self) -> None:
        while not (self.stop.is_set() and (self.queue.empty() or self._clock() >= self.deadline)):
            try:
                alert = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._deliver(alert)
            finally:
                self.queue.task_done()

    def _deliver(self, alert: Alert) -> None:
        started, tries = self._clock(), 0
        while True:
            tries += 1
            try:
                self.sink.send(alert)
                self.stats.sent += 1
                return
            except SinkError as e:
                why = str(e)
            wait = self.retry.delay(tries, self._clock() - started, self._rng.random())
            if wait is not None and self.stop.is_set():
                wait = wait if self._clock() + wait < self.deadline else None
            if wait is None:
                self.stats.failed += 1
                log.warning("alert %s not delivered to %s after %d tries (%s)", alert.kind.value, self.sink.name,
                            tries, why)
                return
            self.stats.retries += 1
            log.info("alert %s to %s failed (%s); try %d in %.1f s", alert.kind.value, self.sink.name, why,
                     tries + 1, wait)
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        end = self._clock() + seconds
        if self.stop.wait(seconds):  # closing: wait no later than the flush deadline
            time.sleep(max(min(end, self.deadline) - self._clock(), 0.0))


class AlertDispatcher:
    """``emit`` from any thread; ``close`` once at the end."""

    def __init__(self, sinks: Sequence[Sink], *, queue_size: int = 1000, retry: RetryPolicy | None = None,
                 rng: random.Random | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        retry = retry or RetryPolicy(attempts=5, initial=1.0, maximum=60.0, deadline=3600.0)
        rng = rng or random.Random()
        self._clock = clock
        self._workers = [_Worker(s, queue_size, retry, rng, clock) for s in sinks]
        for worker in self._workers:
            worker.thread.start()
        self.emitted: deque[Alert] = deque(maxlen=100)  # this process's latest alerts, newest last

    @property
    def sinks(self) -> list[str]:
        return [w.sink.name for w in self._workers]

    def stats(self) -> dict[str, SinkStats]:
        return {w.sink.name: w.stats for w in self._workers}

    def emit(self, alert: Alert) -> None:
        """Log it, queue it for every sink; never blocks, never raises for a sink."""
        log.log(LEVELS[alert.severity], "ALERT %s", alert.title, extra={"alert": alert.to_json()})
        self.emitted.append(alert)
        for worker in self._workers:
            worker.put(alert)

    def close(self, flush_seconds: float = 10.0) -> None:
        """Deliver what is queued for at most ``flush_seconds``, then stop the workers."""
        deadline = self._clock() + flush_seconds
        for worker in self._workers:
            worker.deadline = deadline
            worker.stop.set()
        for worker in self._workers:
            worker.thread.join(timeout=max(deadline - self._clock(), 0.0) + 5.0)
        left = sum(w.queue.qsize() for w in self._workers)
        if left:
            log.warning("%d alert(s) still queued at exit were not delivered", left)


__all__ = ["AlertDispatcher", "SinkStats"]
