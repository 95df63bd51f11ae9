"""Order updates: alpaca-py's TradingStream in a background thread, polling when it is down.

Both sources feed one :class:`FillTracker` and one queue. Handlers run on the thread that
calls :meth:`UpdateFeed.dispatch` (the runner's), so the engine and the journal stay
single-threaded whatever the transport does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from alpaca.trading.models import TradeUpdate
from alpaca.trading.stream import TradingStream

from brokers.alpaca.parsing import update_from_alpaca
from brokers.alpaca.tracking import FillTracker
from framework.broker import OrderUpdate, OrderUpdateHandler
from framework.errors import BrokerError
from framework.orders import Order

log = logging.getLogger(__name__)

Poll = Callable[[set[str]], list[Order]]


class UpdateFeed:
    def __init__(self, tracker: FillTracker, poll: Poll, *, poll_interval: float = 2.0,
                 stream: TradingStream | None = None) -> None:
        self.tracker, self._poll, self._interval = tracker, poll, poll_interval
        self._stream = stream
        self._queue: queue.Queue[OrderUpdate] = queue.Queue()
        self._handlers: list[OrderUpdateHandler] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stream_updates = 0  # updates the stream delivered (observability, tests)
        self.stream_messages = 0  # every trade update the stream handed us, new or not
        self.polled_updates = 0

    # -- lifecycle ------------------------------------------------------------------------

    def subscribe(self, handler: OrderUpdateHandler) -> None:
        self._handlers.append(handler)

    def start(self) -> None:
        if self._threads:
            return
        if self._stream is not None:
            self._stream.subscribe_trade_updates(self._on_stream)
            self._threads.append(threading.Thread(target=self._stream.run, name="alpaca-stream",
                                                  daemon=True))
            # polling covers the stream's gaps; without a stream the runner polls explicitly
            self._threads.append(threading.Thread(target=self._poll_loop, name="alpaca-poll",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    def close(self, interrupt: Callable[[], None] | None = None, *, join_timeout: float = 10.0) -> None:
        """Stop both threads; ``interrupt`` (called once the stop is signalled) wakes a poll
        that is waiting, e.g. for the request budget.

        alpaca-py's consumer looks at its stop request only between reads, and a read waits up
        to 5 s for a message: on a quiet account every close cost 5 s. Closing the socket on the
        stream's own loop ends that read at once (the stream then sees the stop and returns)."""
        self._stop.set()
        if interrupt is not None:
            interrupt()
        with _quiet_stream():
            if self._stream is not None:
                stop_stream(self._stream, join_timeout)
            for thread in self._threads:
                thread.join(timeout=join_timeout)
        self._threads.clear()

    @property
    def stream_connected(self) -> bool:
        """alpaca-py has no public health flag; ``_running`` is True while a socket is up."""
        return self._stream is not None and bool(getattr(self._stream, "_running", False))

    # -- sources --------------------------------------------------------------------------

    async def _on_stream(self, raw: TradeUpdate) -> None:
        try:
            self._on_stream_message(raw)
        finally:
            self.stream_messages += 1

    def _on_stream_message(self, raw: TradeUpdate) -> None:
        try:
            parsed = update_from_alpaca(raw)
        except (ValueError, TypeError) as e:  # never let a bad message kill the stream
            log.warning("unparsable trade update: %s", e)
            return
        if parsed is None or parsed.order.client_order_id not in self.tracker.tracked():
            return
        update = self.tracker.observe(parsed.order, parsed.timestamp, parsed.event, parsed.fill)
        if update is not None:
            self.stream_updates += 1
            self._queue.put(update)

    def poll_now(self) -> int:
        """Ask the broker about every open tracked order; queue what changed."""
        ids = self.tracker.open_ids()
        if not ids:
            return 0
        now = datetime.now(UTC)
        found = 0
        for order in self._poll(ids):
            update = self.tracker.observe(order, order.updated_at or now)
            if update is not None:
                found += 1
                self._queue.put(update)
        self.polled_updates += found
        return found

    def _poll_loop(self) -> None:
        while not self._stop.wait(self._interval):
            if self.stream_connected:
                continue
            try:
                self.poll_now()
            except BrokerError as e:
                log.warning("polling for order updates failed: %s", e)

    # -- delivery -------------------------------------------------------------------------

    def dispatch(self, timeout: float = 0.0) -> int:
        """Run the handlers for queued updates on this thread; wait up to ``timeout`` for one."""
        count = 0
        try:
            update = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            for handler in self._handlers:
                handler(update)
            count += 1
            try:
                update = self._queue.get_nowait()
            except queue.Empty:
                return count


def make_stream(key_id: str, secret: str, url: str, paper: bool) -> TradingStream:
    stream = TradingStream(key_id, secret, paper=paper, url_override=url)
    stream._reconnect_min_backoff = 0.2  # reconnect fast after a drop; polling covers the gap
    stream._reconnect_max_backoff = 5.0
    return stream


__all__ = ["UpdateFeed", "make_stream"]


def stop_stream(stream: TradingStream, timeout: float) -> None:
    """Ask alpaca-py's stream to stop and close its socket on the stream's own loop: its
    consumer sees a stop only between reads, and a read waits up to 5 s for a message, so the
    close is what ends the read at once. Nothing to do if its loop is not running."""
    loop = getattr(stream, "_loop", None)
    if loop is None or not loop.is_running():
        return
    with contextlib.suppress(RuntimeError, TimeoutError):  # the loop ended meanwhile
        stream.stop()
        asyncio.run_coroutine_threadsafe(stream.close(), loop).result(timeout=timeout)


@contextlib.contextmanager
def _quiet_stream() -> Iterator[None]:
    """While we close it, alpaca-py logs the socket we closed as "websocket error, restarting
    connection": our own stop, not an error, so its records are dropped for the closing's span."""
    logger = logging.getLogger("alpaca.trading.stream")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
