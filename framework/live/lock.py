"""One paper process per account and journal: an advisory lock (``fcntl.flock``) on a file beside
the journal, held for the life of `trade paper` (a cycle, or the service).

Two overlapping `trade paper --once` (a cron overlap, a second terminal) would each POST every order
(only the venue's duplicate-id refusal saving the account) and journal the session twice. The
second one stops at once with one line naming the process that holds the lock. The lock is the
kernel's: it is released when the holder exits, however it exits (a crash leaves no stale lock);
the file keeps the last holder's pid and command, for the message only.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from framework.errors import UserError


class AccountBusy(UserError):
    """Another paper process holds this account's journal."""


def lock_path(journal: str | Path) -> Path:
    path = Path(journal).expanduser()
    return path.with_name(path.name + ".lock")


@contextmanager
def account_lock(journal: str | Path, command: str | None = None) -> Iterator[Path]:
    """Held until the block ends; :class:`AccountBusy` (exit 2) if another process holds it."""
    path = lock_path(journal)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
            raise AccountBusy(f"{Path(journal).expanduser()}: another paper process is running on this account and "
                              f"journal ({holder}); one at a time — wait for it to end or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {command or ' '.join(['trade', *sys.argv[1:]])}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


__all__ = ["AccountBusy", "account_lock", "lock_path"]
