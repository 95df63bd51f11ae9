"""How many threads XGBoost trains with, and how its OpenMP threads wait (issue 31 part 4).

XGBoost's threads are libgomp's. A thread that reaches a barrier first spins up to 300,000
pauses (libgomp's default when ``OMP_WAIT_POLICY`` is unset: 3-15 ms) before it sleeps, and the
boosting of one stump is thousands of short parallel regions: on cores other processes keep
busy, the spinning thread takes the core its partner needs (two threads took 4-6x the wall time
and 5-9x the CPU of one; README: Speed). libgomp reads its environment once, when it is loaded,
i.e. when ``xgboost`` is first imported: :func:`xgboost` sets the passive wait policy first (a
waiting thread sleeps at once), unless the user set one. Sleeping, two threads cost one thread's
CPU seconds and finished sooner than one under load, so ``auto`` is every core this process may
use; it does not follow the load average, which counts our own threads (a count from it would
swing between retrains). The thread count never changes the predictions (measured to the bit:
tests/strategies/test_xgb_thread_determinism.py).
"""

from __future__ import annotations

import os
from types import ModuleType

PASSIVE_WAIT = {"OMP_WAIT_POLICY": "PASSIVE"}


def xgboost() -> ModuleType:
    """The ``xgboost`` module, its OpenMP runtime loaded with the passive wait policy (unless the
    environment already names a policy or a spin count, or xgboost was imported before)."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ.update(PASSIVE_WAIT)
    import xgboost as xgb  # imported here: plugin discovery must stay cheap

    return xgb


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's limit),
    not the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no affinity on this platform
        return os.cpu_count() or 1


def resolve_threads(nthread: int | str) -> int:
    """The thread count to train with: a number as given; ``auto``, the cores this process may use."""
    return usable_cores() if nthread == "auto" else int(nthread)
