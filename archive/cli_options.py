"""Options shared by several `sigillo` commands defined outside ``cli.py``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

WORKERS_HELP = ("Worker processes for text extraction and OCR (default: the number of cores; 1: in this "
                "process), as for `sigillo ingest`.")


def workers_option(f: F) -> F:
    """``--workers N``: the same meaning and default as `sigillo ingest --workers`."""
    return click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N", help=WORKERS_HELP)(f)


def worker_count(workers: int | None) -> int:
    """The number of worker processes ``--workers`` asks for (not given: one per core)."""
    return workers or os.cpu_count() or 1
