"""One writer at a time: an exclusive ``flock`` on the archive's ``lock`` file.

The kernel releases the lock when its holder dies (even by kill -9), so a crash never leaves the archive locked.
The holder writes who it is into the file, so that a second writer can say who it waits for.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from .errors import BusyError

__all__ = ["WriteLock"]


class WriteLock:
    """``with WriteLock(path, command, wait=10):`` holds the archive's write lock, or raises BusyError."""

    def __init__(self, path: Path, command: str, wait: float = 10.0, poll: float = 0.2) -> None:
        self.path = path
        self.command = command
        self.wait = wait
        self.poll = poll
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return "another sigillo process"
        if not info:
            return "another sigillo process"
        return (
            f"`sigillo {info.get('command', '?')}` (pid {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"since {info.get('since', '?')})"
        )

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._holder()
                    os.close(fd)
                    raise BusyError(
                        f"the archive is busy: {holder} is writing to it"
                        + (f"; waited {self.wait:g} s" if self.wait else "")
                    ) from None
                time.sleep(self.poll)
        info = {
            "command": self.command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
