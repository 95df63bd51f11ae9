"""The Dask side of a sweep: a LocalCluster or an existing scheduler, the data shipped once,
jobs streamed back as they finish, everything cancelled on Ctrl-C.

``--workers N`` starts a :class:`distributed.LocalCluster` of N single-threaded worker
processes; ``--scheduler tcp://HOST:PORT`` (or ``DASK_SCHEDULER_ADDRESS``) joins an existing
cluster instead. The cluster is opened only when there is a backtest to run, so a sweep that
resumes from its saved results starts none.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING

from framework.data import MarketData
from framework.errors import InputError
from framework.research.sweep_task import Backtest, Job, Outcome, probe, run_job, warm_up

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

#: How long an existing cluster may take to have a worker (it may be starting up too).
WORKER_WAIT_SECONDS = 60.0
CONNECT_SECONDS = 10.0
CONNECT_TIMEOUT = f"{CONNECT_SECONDS:.0f}s"
#: How long a local worker is given to stop when the sweep ends on an error or a Ctrl-C, before
#: it is killed: its point is cancelled and it writes nothing, so it need not finish. Dask's own
#: close asks for 4 s, and a worker busy in a backtest never stops by itself, so Ctrl-C took 4 s.
ABANDON_SECONDS = 0.5


def _check_workers(client: Client, where: str, strategy: str | None) -> None:
    """Every worker there now imports the plugin, or the sweep is refused in one line (before
    any folder is written, instead of each point failing on its own)."""
    try:
        client.run(probe, strategy)
    except Exception as e:
        what = f"the strategy plugin {strategy!r}" if strategy else "sweep points"
        said = (str(e).splitlines() or [""])[0]
        raise InputError(f"the Dask workers {where} cannot import {what} ({type(e).__name__}: {said}); "
                         "install trade and your strategy plugins on every worker") from None


def _reach(address: str) -> None:
    """One plain TCP connect to a ``tcp://`` scheduler address decides whether it is reachable:
    Dask's own connect retries a refused connection for the whole ``CONNECT_TIMEOUT``, so a typo
    or a scheduler that is not running cost 10 s before the one-line error. Other schemes are
    left to Dask's connect."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        return  # Dask's connect names what is wrong with it
    if scheme != "tcp":
        return
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except ConnectionRefusedError:
        raise InputError(f"cannot reach the Dask scheduler at {address}: connection refused "
                         "(no scheduler listens there)") from None
    except TimeoutError:
        raise InputError(f"cannot reach the Dask scheduler at {address}: "
                         f"no answer within {CONNECT_SECONDS:.0f} s") from None
    except OSError as e:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {e.strerror or e}") from None


def _join(address: str) -> Client:
    from distributed import Client

    _reach(address)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        client.submit(probe, pure=False).result(timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        client.close()
        raise InputError(
            f"no Dask worker joined the scheduler at {address} within {WORKER_WAIT_SECONDS:.0f} s"
        ) from None
    except Exception as e:
        client.close()
        raise InputError(
            f"the Dask workers at {address} cannot run sweep points ({type(e).__name__}: {e}); "
            "install trade (and your strategy plugins) on every worker"
        ) from None
    return client


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (they inherit it): Ctrl-C at a terminal reaches
    the whole process group, and only this process should act on it, by cancelling and closing.
    (A Ctrl-C in the second or two the workers take to start is ignored with them.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block and deliver it when the block ends, so the
    block's writes land together or not at all (a finished point's mark and its row in
    ``results.parquet``). Outside the main thread no SIGINT handler runs, so nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if held:
        signal.raise_signal(signal.SIGINT)  # to the handler that was there: KeyboardInterrupt, usually


def local_workers(requested: int, backtests: int | None) -> int:
    """Worker processes for a local cluster: ``--workers``, but no more than the backtests to run
    (each process costs its own imports, seconds; an idle one only that)."""
    return max(1, min(requested, backtests)) if backtests is not None else requested


def _local(workers: int) -> tuple[LocalCluster, Client]:
    from distributed import Client, LocalCluster

    with _workers_ignore_ctrl_c():
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # The scheduler serves HTTP (health routes) even without a dashboard, on 8787 by default:
            # a second sweep (or any Dask) holding it made it warn "Port 8787 is already in use". We
            # show no dashboard, so any free loopback port does, silently.
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,  # a failed point is reported as an outcome, not a log
        )
    try:
        return cluster, Client(cluster, set_as_default=False)
    except BaseException:
        cluster.close()
        raise


def _stop_workers(cluster: LocalCluster, seconds: float) -> None:
    """Close every worker process of ``cluster``, killing one still busy after ``seconds``."""

    async def close_all() -> None:
        nannies = list(cluster.workers.values())
        await asyncio.gather(*(n.close(timeout=seconds, reason="sweep-abandoned") for n in nannies))

    with suppress(Exception):  # the cluster's own close below still runs
        cluster.sync(close_all)


class Cluster:
    """Dask for one sweep: opened on first use, closed (with its LocalCluster) on exit."""

    def __init__(
        self, market: MarketData, workers: int, scheduler: str | None, backtest: Backtest, strategy: str | None = None
    ) -> None:
        self.market, self.workers, self.scheduler, self.backtest = market, workers, scheduler, backtest
        self.strategy = strategy  # the plugin every worker must import before anything runs
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._data: Future | None = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close(abandon=kind is not None)

    def open(self, backtests: int | None = None) -> Cluster:
        """Connect (or start the local cluster) now, and ship the market data to the workers. A
        local cluster for ``backtests`` backtests starts no more worker processes than that (a
        resumed sweep with one point left starts one: each costs its own imports, seconds)."""
        self._open(backtests)
        return self

    def _open(self, backtests: int | None = None) -> tuple[Client, Future]:
        if self._client is None:
            if self.scheduler:
                self._client = _join(self.scheduler)
            else:
                self._cluster, self._client = _local(local_workers(self.workers, backtests))
            where = f"at {self.scheduler}" if self.scheduler else "of the local cluster"
            try:
                _check_workers(self._client, where, self.strategy)
            except InputError:
                self.close()
                raise
            # The market data goes to every worker once; each task refers to it by key.
            self._data = self._client.scatter(self.market, broadcast=True)
            self._client.run(warm_up, self.backtest)
        assert self._data is not None
        return self._client, self._data

    def run(self, jobs: list[Job], on_outcome: Callable[[Job, Outcome], None]) -> None:
        """Run ``jobs`` and hand each outcome to ``on_outcome`` as it arrives (any order)."""
        if not jobs:
            return
        from distributed import as_completed

        client, data = self._open(len(jobs))
        by_key = {f"trade-sweep-{job.key}": job for job in jobs}
        futures = [client.submit(run_job, data, job, self.backtest, key=key, pure=False) for key, job in by_key.items()]
        try:
            for future in as_completed(futures, loop=client.loop):
                job = by_key[future.key]
                try:
                    outcome = future.result()
                except Exception as e:  # the worker died or the task could not run there
                    outcome = Outcome(job.key, error=f"{type(e).__name__}: {e}")
                future.release()
                on_outcome(job, outcome)
        except BaseException:
            client.cancel(futures, force=True)
            raise

    def close(self, abandon: bool = False) -> None:
        """Close the client and the local cluster; ``abandon``: its workers' points were cancelled
        (a Ctrl-C, an error), so they are killed after :data:`ABANDON_SECONDS` instead of waited for."""
        if abandon and self._cluster is not None:
            _stop_workers(self._cluster, ABANDON_SECONDS)
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


__all__ = ["Cluster", "ctrl_c_held", "local_workers"]
