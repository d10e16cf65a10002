"""`sigillo watch`: ingest a hot folder as files appear. Registered on the main group by ``cli.py``."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from .cli import _echo_json, cli, home_option, json_option
from .cli_options import worker_count, workers_option
from .errors import ExitCode, SigilloError


def _outcome_lines(o: Any) -> list[tuple[str, str | None]]:
    """The lines `sigillo ingest` prints for one file (text, colour)."""
    short = (o.sha256 or "")[:12]
    if o.status == "new":
        how = "OCR" if o.ocr_pages == o.pages else "text layer" if o.ocr_pages == 0 else "text layer + OCR"
        lines: list[tuple[str, str | None]] = [
            (f"new        {short}  {o.path}  ({o.pages} page{'s' if o.pages != 1 else ''}, {how}, {o.seconds:.1f} s)",
             None)
        ]
        return lines + [(f"           warning: {w}", None) for w in o.warnings]
    if o.status == "duplicate":
        return [(f"duplicate  {short}  {o.path}  (already archived as {o.duplicate_of})", None)]
    return [(f"failed     {short:12}  {o.path}: {o.reason}", "red")]


@cli.command()
@home_option
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--done", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Move ingested files (new or duplicate) here, keeping their relative path; never overwrites "
                   "(adds -1, -2 …). Default: leave them in place.")
@click.option("--interval", type=click.FloatRange(0.05), default=2.0, show_default=True, metavar="SECONDS",
              help="How often to look at the folder.")
@click.option("--settle", type=click.FloatRange(0), default=3.0, show_default=True, metavar="SECONDS",
              help="A file is ready when its size and time have not changed for this long.")
@click.option("--once", is_flag=True, help="Ingest what is ready now (unmodified for --settle seconds) and exit.")
@click.option("--exclude", multiple=True, metavar="PATTERN",
              help="Also skip file names matching this shell pattern (repeatable).")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long each batch waits if another sigillo process is writing (default: lock_wait).")
@workers_option
@click.option("--quiet", "-q", is_flag=True,
              help="No line per ingested or duplicate file and no banner: only failures, warnings and the final "
                   "summary (with --json: no records of ingested or duplicate files).")
@json_option
@click.pass_context
def watch(ctx: click.Context, folder: Path, done: Path | None, interval: float, settle: float, once: bool,
          exclude: tuple[str, ...], wait: float | None, workers: int | None, quiet: bool,
          as_json: bool) -> None:
    """Ingest files as they appear in a hot folder (scanners, shared folders), until interrupted.

    FOLDER is looked at every --interval seconds, recursively. A file is ingested once it has stopped changing
    for --settle seconds and can be opened; names matching the archive's `exclude` setting, dot-files and
    temporary names (*.part, *.tmp, ~$*, …) are skipped. Ready files are ingested a few at a time, each batch
    read by --workers processes and sealed like an ingest, and the archive is locked only while a batch runs.
    Each file is reported once, as by `sigillo ingest`: ingested files stay in place and are remembered (also
    across restarts, through the catalog) or go to --done; a file that fails stays and is not tried again until
    it changes.

    Ctrl-C or SIGTERM finishes the current file and batch, prints a summary and exits 0. With --once the exit
    code is 1 if a file failed.

    \b
    Examples:
      sigillo watch /srv/scanner-inbox
      sigillo watch inbox/ --done archived/ --interval 5 --settle 10
      sigillo watch inbox/ --once --json          # from cron
      sigillo watch inbox/ --once --quiet         # from cron, for a person: failures and the summary only
      sigillo watch inbox/ --workers 2            # OCR in two processes (default: one per core)
    """
    from .config import resolve_home
    from .core import Archive
    from .watch import Watcher

    if hasattr(sys.stdout, "reconfigure"):  # one line at a time, also into a pipe or a log file
        sys.stdout.reconfigure(line_buffering=True)
    home = ctx.obj.get("home")
    archive = Archive.open(home, command=ctx.command_path)  # fails here, in one line, if there is no archive
    patterns = tuple(archive.settings.exclude) + exclude
    archive.close()
    folder = folder.resolve()
    if done is not None:
        done = done.resolve()
        if done == folder or folder.is_relative_to(done):
            raise click.BadParameter("must not be the watched folder or a folder above it", param_hint="--done")
        try:
            done.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SigilloError(f"cannot create {done}: {exc.strerror or exc}") from None
    if resolve_home(home).resolve().is_relative_to(folder):
        raise click.BadParameter("the archive must not be inside the watched folder", param_hint="FOLDER")

    def on_outcome(o: Any, moved: Path | None) -> None:
        if quiet and o.status != "failed":
            return
        if as_json:
            _echo_json({**o.as_json(), **({"moved_to": str(moved)} if moved else {})})
            return
        for text, colour in _outcome_lines(o):
            click.secho(text, fg=colour)
        if moved is not None:
            click.echo(f"           moved to {moved}")

    def on_batch(b: Any) -> None:
        seal = b.seal
        checkpoint = seal.checkpoint if seal else None
        if as_json:
            _echo_json({"batch": {"batch_id": b.batch_id, "files": b.files, "new": b.new, "sealed":
                                  seal.sealed if seal else 0, "checkpoint": checkpoint.number if checkpoint else None}})
        elif checkpoint is not None and not quiet:
            click.echo(f"Sealed {seal.sealed} document{'s' if seal.sealed != 1 else ''} in checkpoint "
                       f"{checkpoint.number}.")
        for warning in filter(None, (b.seal_warning, b.index_warning)):
            click.secho(f"Warning: {warning}", fg="yellow", err=True)

    def on_warning(text: str) -> None:
        click.secho(f"Warning: {text}", fg="yellow", err=True)

    watcher = Watcher(home, folder, done=done, interval=interval, settle=settle, exclude=patterns, wait=wait,
                      command=ctx.command_path, on_outcome=on_outcome, on_batch=on_batch, on_warning=on_warning,
                      workers=worker_count(workers))
    where = f"moved to {done}" if done else "left in place"
    if as_json:
        _echo_json({"watching": {"folder": str(folder), "done": str(done) if done else None, "interval": interval,
                                 "settle": settle, "once": once}})
    elif quiet:
        pass
    elif once:
        click.echo(f"Ingesting what is ready in {folder} (unchanged for {settle:g} s); ingested files are {where}.")
    else:
        click.echo(f"Watching {folder} every {interval:g} s (a file is ready after {settle:g} s unchanged); "
                   f"ingested files are {where}. Ctrl-C to stop.")

    stopped_by: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopped_by.append(signal.Signals(signum).name)
        watcher.stop()
        # A second signal stops at once (what is done stays done: the archive is safe to interrupt).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.write(2, b"Stopping after the current file and batch...\n")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if once:
            watcher.poll(by_mtime=True)
        else:
            watcher.run()
    finally:
        watcher.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    s = watcher.summary
    if as_json:
        _echo_json({"summary": {"files": s.files, "new": s.new, "duplicates": s.duplicates, "failed": s.failed,
                                "moved": s.moved, "pages": s.pages, "batches": s.batches, "waiting": watcher.waiting,
                                "seconds": round(s.seconds, 3), "stopped_by": stopped_by[0] if stopped_by else None}})
    else:
        head = f"Stopped ({stopped_by[0]}) after {s.seconds:.1f} s" if stopped_by else f"Done in {s.seconds:.1f} s"
        plural = {"files": "s" if s.files != 1 else "", "dups": "s" if s.duplicates != 1 else "",
                  "pages": "s" if s.pages != 1 else "", "batches": "es" if s.batches != 1 else ""}
        click.echo(
            f"{head}: {s.files} file{plural['files']}: {s.new} new, {s.duplicates} duplicate{plural['dups']}, "
            f"{s.failed} failed ({s.pages} page{plural['pages']}, {s.batches} batch{plural['batches']}"
            + (f", {s.moved} moved" if done else "") + ")"
            + (f"; {watcher.waiting} not ready yet" if watcher.waiting else "") + "."
        )
    if once and s.failed:
        ctx.exit(ExitCode.FAILURES)
