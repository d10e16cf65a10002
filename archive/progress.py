"""What a running ingest shows while it works, and the table it ends with.

``BatchProgress`` is fed by the pipeline's ``on_outcome`` callback, one ``FileOutcome`` at a time, and shows
files done out of the total, pages, pages per second, the ETA and the failures so far:

* ``bar``: a live rich progress bar, when the output goes to a terminal; the per-file lines are printed above it
  (through ``echo``), never through it;
* ``lines``: one plain line every ``interval`` seconds on stderr, for logs and pipes
  (``progress: 120/400 files, 310 pages, 2.4 pages/s, 3 failed, ETA 1m55s``);
* ``off``: nothing (``--quiet``).

Imported only by the commands that show progress, so that ``sigillo --help`` does not pay for rich.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import click
from rich.console import Console
from rich.file_proxy import FileProxy
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task
from rich.table import Table
from rich.text import Text

from .pipeline import Tally

__all__ = ["INTERVAL_ENV", "BatchProgress", "choose_mode", "format_eta", "is_terminal", "summary_table", "throughput"]

INTERVAL_ENV = "SIGILLO_PROGRESS_INTERVAL"  # seconds between plain progress lines (default 10)
DEFAULT_INTERVAL = 10.0


def interval_from_env(default: float = DEFAULT_INTERVAL) -> float:
    """The plain-line interval: $SIGILLO_PROGRESS_INTERVAL seconds if it is a positive number, else ``default``."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def format_eta(seconds: float | None) -> str:
    """``1h02m``, ``1m55s``, ``7s``; ``?`` while there is nothing to estimate from."""
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def throughput(pages: int, seconds: float) -> float:
    return pages / seconds if seconds > 0 else 0.0


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def choose_mode(*, quiet: bool, as_json: bool, stdout: IO[str] | None = None,
                stderr: IO[str] | None = None) -> tuple[str, IO[str]]:
    """Which kind of progress to show, and on which stream.

    The bar needs a terminal on stderr. When stdout is that terminal too (and carries text, not JSON), the bar is
    drawn on stdout, so that the per-file lines printed above it stay on stdout as they always were. With --json
    on a terminal stdout, a bar would tangle with the JSON: plain lines on stderr instead.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if quiet:
        return "off", err
    if not is_terminal(err) or Console(file=err).is_dumb_terminal:
        return "lines", err
    if not is_terminal(out):
        return "bar", err
    return ("lines", err) if as_json else ("bar", out)


class _StatsColumn(ProgressColumn):
    """files, pages, pages/s, failures and ETA, read from the live ``BatchProgress`` at each refresh."""

    def __init__(self, owner: BatchProgress) -> None:
        super().__init__()
        self.owner = owner

    def render(self, task: Task) -> Text:
        snap = self.owner.snapshot()
        return Text.assemble(
            (f"{snap['done']}/{snap['total']} files", "bold"),
            f"  {snap['pages']} pages  {snap['rate']:.1f} pages/s  ",
            (f"{snap['failed']} failed", "red" if snap["failed"] else "dim"),
            f"  ETA {format_eta(snap['eta'])}",
        )


class BatchProgress:
    """Progress of one ingest, fed with each ``FileOutcome``. Use as a context manager (or ``start``/``stop``).

    ``total`` is the number of files the batch will report (``discover`` counted up front); ``clock`` and
    ``console`` are there for tests.
    """

    def __init__(self, total: int, *, mode: str = "lines", stream: IO[str] | None = None,
                 interval: float | None = None, console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in ("bar", "lines", "off"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.total = total
        self.mode = mode
        self.stream = stream or sys.stderr
        self.interval = interval if interval is not None else interval_from_env()
        self.clock = clock
        self.counts = Tally()
        self.started = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: Progress | None = None
        self._task: Any = None
        self._logging: list[tuple[logging.StreamHandler[Any], IO[str]]] = []
        # The per-file lines go through the bar's console when the bar is on stdout (or a test's console).
        self._above_bar = mode == "bar" and (console is not None or self.stream is sys.stdout)
        if mode == "bar":
            self.console = console or Console(file=self.stream, highlight=False)
            self._progress = Progress(
                SpinnerColumn(), BarColumn(bar_width=30), _StatsColumn(self),
                console=self.console, transient=True, redirect_stdout=False, redirect_stderr=False,
                refresh_per_second=4,
            )

    # -- the pipeline's side ------------------------------------------------------------------------------------
    def update(self, outcome: Any) -> None:
        """Count one ``FileOutcome`` (pass this, or a function calling it, as ``on_outcome``)."""
        with self._lock:
            self.counts.add(outcome)
            self.total = max(self.total, self.counts.files)  # files that appeared after the count
        if self._progress is not None:
            self._progress.update(self._task, completed=self.counts.files, total=self.total)

    def echo(self, text: str, colour: str | None = None) -> None:
        """Print one per-file line on stdout; when the bar is drawn on stdout, above it (so it is not garbled)."""
        if self._above_bar and self._progress is not None and self._progress.live.is_started:
            self.console.print(Text(text, style=colour or ""), soft_wrap=True, highlight=False)
        else:
            click.secho(text, fg=colour)

    # -- what is shown ------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            elapsed = self.clock() - self.started
            done, total, pages = self.counts.files, self.total, self.counts.pages
            eta = None
            if done and elapsed > 0:
                eta = (total - done) * elapsed / done
            return {"done": done, "total": total, "pages": pages, "failed": self.counts.failed,
                    "rate": throughput(pages, elapsed), "eta": eta, "elapsed": elapsed}

    def line(self) -> str:
        """``progress: 120/400 files, 310 pages, 2.4 pages/s, 3 failed, ETA 1m55s``"""
        s = self.snapshot()
        return (f"progress: {s['done']}/{s['total']} files, {s['pages']} pages, {s['rate']:.1f} pages/s, "
                f"{s['failed']} failed, ETA {format_eta(s['eta'])}")

    def refresh(self) -> None:
        if self._progress is not None:
            self._progress.refresh()

    # -- life cycle ---------------------------------------------------------------------------------------------
    def start(self) -> BatchProgress:
        self.started = self.clock()
        if self._progress is not None:
            self._task = self._progress.add_task("ingest", total=self.total or None, completed=0)
            self._progress.start()
            self._capture_logging()
        elif self.mode == "lines":
            self._thread = threading.Thread(target=self._periodic, name="sigillo-progress", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._release_logging()
        if self._progress is not None and self._progress.live.is_started:
            self._progress.stop()

    def _capture_logging(self) -> None:
        """Log records written to the terminal while the bar is up go above it (the same terminal), not through it."""
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler and is_terminal(handler.stream):
                old = handler.setStream(FileProxy(self.console, handler.stream))
                if old is not None:
                    self._logging.append((handler, old))

    def _release_logging(self) -> None:
        while self._logging:
            handler, old = self._logging.pop()
            handler.flush()
            proxy = handler.setStream(old)
            if proxy is not None:
                proxy.flush()

    def _periodic(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.stream.write(self.line() + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed under us: progress is not worth failing for
                return

    def __enter__(self) -> BatchProgress:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def summary_table(*, files: int, new: int, duplicates: int, failed: int, pages: int, seconds: float) -> Table:
    """The end-of-batch table shown on a terminal: new, duplicate, failed, pages, seconds, pages/s."""
    table = Table(title=f"{files} file{'s' if files != 1 else ''} ingested", title_justify="left")
    for name in ("new", "duplicate", "failed", "pages", "seconds", "pages/s"):
        table.add_column(name, justify="right")
    table.add_row(str(new), str(duplicates), Text(str(failed), style="red" if failed else ""), str(pages),
                  f"{seconds:.1f}", f"{throughput(pages, seconds):.1f}")
    return table
