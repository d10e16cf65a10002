"""Progress of a batch: plain periodic lines when not on a terminal, a live bar on one, nothing with --quiet; the
summary with pages/s at the end; stdout stays pure JSON lines with --json.

The CLI runs in-process (CliRunner: not a terminal) on small text-layer PDFs made with fpdf2; the bar is checked
on a ``BatchProgress`` drawing into a forced-terminal rich console."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from pathlib import Path

import pytest
from fpdf import FPDF
from rich.console import Console

from archive.pipeline import FileOutcome
from archive.progress import INTERVAL_ENV, BatchProgress, choose_mode, format_eta, interval_from_env
from tests.cli_runner import invoke, run

PROGRESS_LINE = re.compile(
    r"^progress: (\d+)/(\d+) files, (\d+) pages, \d+\.\d pages/s, (\d+) failed, ETA (\?|\d+s|\d+m\d\ds|\d+h\d\dm)$"
)
FAST = {INTERVAL_ENV: "0.005"}
SUMMARY = re.compile(r"^(\d+) files?: (\d+) new, (\d+) duplicates?, (\d+) failed \((\d+) pages?, [\d.]+ s\)$", re.M)


def text_pdf(path: Path, n: int, pages: int = 1) -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for p in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"INVOICE No. PRG-{n:05d} page {p + 1}\nDate: 2024-06-{1 + n % 28:02d}\n"
                             f"Seller: Officine Bassi S.p.A., Via Emilia {n}, Bologna\nTotal due: EUR {300 + n}.00\n")
    pdf.output(str(path))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "archive"
    run(home, "init")
    return home


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Four text-layer PDFs (five pages in all) and one file that is not a document."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(4):
        text_pdf(folder / f"invoice-{n}.pdf", n, pages=2 if n == 0 else 1)
    (folder / "notes.pdf").write_text("Just some notes, not a PDF at all.\n")
    return folder


def lines_of(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


# -- the real command, not on a terminal -----------------------------------------------------------------------
def test_plain_progress_lines_on_stderr_and_summary_with_pages_per_second(home: Path, inbox: Path) -> None:
    result = invoke(home, "ingest", str(inbox), "--workers", "1", env=FAST)
    assert result.exit_code == 1, result.output

    progress = lines_of(result.stderr, "progress:")
    assert progress, f"no progress line on stderr:\n{result.stderr}"
    for line in progress:
        m = PROGRESS_LINE.match(line)
        assert m, line
        done, total, _pages, failed = (int(g) for g in m.groups()[:4])
        assert total == 5 and 0 <= done <= 5 and failed <= 1
    assert "progress:" not in result.stdout, "progress never goes to stdout"

    # The per-file lines are those of before, on stdout.
    assert len(lines_of(result.stdout, "new        ")) == 4
    assert lines_of(result.stdout, "failed     ") and "notes.pdf: " in result.stdout
    m = SUMMARY.search(result.stdout)
    assert m and m.groups() == ("5", "4", "0", "1", "5"), result.stdout
    rate = re.search(r"^Throughput: (\d+\.\d) pages/s\.$", result.stdout, re.M)
    assert rate and float(rate.group(1)) > 0
    assert "Sealed 4 documents" in result.stdout


def test_no_progress_line_before_the_first_interval(home: Path, inbox: Path) -> None:
    result = invoke(home, "ingest", str(inbox), "--workers", "1", env={INTERVAL_ENV: "3600"})
    assert result.exit_code == 1
    assert "progress:" not in result.output


def test_quiet_prints_failures_and_the_summary_only(home: Path, inbox: Path) -> None:
    run(home, "ingest", str(inbox), "--workers", "1", expect=1)
    text_pdf(inbox / "invoice-new.pdf", 99)

    result = invoke(home, "ingest", str(inbox), "--workers", "1", "--quiet", env=FAST)
    assert result.exit_code == 1
    assert "progress:" not in result.output
    out = result.stdout.splitlines()
    assert not lines_of(result.stdout, "new ") and not lines_of(result.stdout, "duplicate ")
    failed = lines_of(result.stdout, "failed     ")
    assert len(failed) == 1 and "notes.pdf: " in failed[0] and "not a document image or PDF" in failed[0]
    assert out[-1] == SUMMARY.search(result.stdout).group(0)
    assert SUMMARY.search(result.stdout).groups() == ("6", "1", "4", "1", "1")
    assert len(out) == 2, out  # the failure and the one-line summary
    assert "Throughput" not in result.stdout and "Sealed" not in result.stdout

    short = invoke(home, "ingest", str(inbox / "invoice-new.pdf"), "-q", env=FAST)
    assert short.exit_code == 0 and short.stdout.splitlines() == [
        SUMMARY.search(short.stdout).group(0)] and "1 file: 0 new, 1 duplicate" in short.stdout


def test_json_stdout_is_json_lines_only(home: Path, inbox: Path) -> None:
    result = invoke(home, "ingest", str(inbox), "--workers", "1", "--json", env=FAST)
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]  # every line is JSON
    files = [r for r in records if "path" in r]
    assert sorted(r["status"] for r in files) == ["failed", "new", "new", "new", "new"]
    summary = records[-1]["summary"]
    assert summary["pages"] == 5 and summary["pages_per_second"] > 0
    assert summary["pages_per_second"] == pytest.approx(summary["pages"] / summary["seconds"], rel=0.05)
    assert lines_of(result.stderr, "progress:"), "progress goes to stderr, even with --json"


def test_json_quiet_keeps_failures_and_summary(home: Path, inbox: Path) -> None:
    result = invoke(home, "ingest", str(inbox), "--workers", "1", "--json", "-q", env=FAST)
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("status") for r in records[:-1]] == ["failed"] and "summary" in records[-1]
    assert "progress:" not in result.output


def test_help_documents_quiet_and_progress(home: Path) -> None:
    out = run(home, "ingest", "--help").output
    assert "--quiet" in out and "-q" in out and INTERVAL_ENV in out and "pages/s" in out


def test_watch_quiet(home: Path, inbox: Path) -> None:
    result = invoke(home, "watch", str(inbox), "--once", "--settle", "0", "--workers", "1", "-q")
    assert result.exit_code == 1, result.output
    out = result.stdout.splitlines()
    assert len(out) == 2, out  # the failure, then the summary
    assert out[0].startswith("failed     ") and "notes.pdf" in out[0]
    assert out[1].startswith("Done in ") and "5 files: 4 new, 0 duplicates, 1 failed" in out[1]


# -- BatchProgress itself --------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outcomes() -> list[FileOutcome]:
    return [
        FileOutcome("a.pdf", "new", "a" * 64, pages=2),
        FileOutcome("b.pdf", "failed", reason="truncated PDF"),
        FileOutcome("c.pdf", "new", "c" * 64, pages=1),
        FileOutcome("d.pdf", "duplicate", "a" * 64, duplicate_of="a.pdf"),
    ]


def test_plain_line_and_eta() -> None:
    clock = Clock()
    p = BatchProgress(10, mode="lines", stream=io.StringIO(), interval=60, clock=clock)
    with p:
        assert p.line() == "progress: 0/10 files, 0 pages, 0.0 pages/s, 0 failed, ETA ?"
        for o in outcomes():
            p.update(o)
        clock.now += 2.0
        assert p.line() == "progress: 4/10 files, 3 pages, 1.5 pages/s, 1 failed, ETA 3s"
        clock.now += 78.0  # 80 s for 4 files: 6 more take 2 minutes
        assert p.line() == "progress: 4/10 files, 3 pages, 0.0 pages/s, 1 failed, ETA 2m00s"


def test_plain_lines_come_every_interval() -> None:
    stream = io.StringIO()
    with BatchProgress(3, mode="lines", stream=stream, interval=0.01) as p:
        p.update(outcomes()[0])
        deadline = time.monotonic() + 5
        while stream.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3 and all(PROGRESS_LINE.match(line) for line in lines)
    assert "1/3 files, 2 pages" in lines[-1]
    count = len(lines)
    time.sleep(0.05)
    assert len(stream.getvalue().splitlines()) == count, "no line after stop"


def test_bar_on_a_terminal_shows_files_pages_rate_failures_eta_and_lines_above() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, force_interactive=True, width=160, color_system=None)
    clock = Clock()
    p = BatchProgress(8, mode="bar", console=console, clock=clock)
    with p:
        for o in outcomes():
            p.update(o)
            p.echo(f"line for {o.path}", "red" if o.status == "failed" else None)
        clock.now += 4.0
        p.refresh()
        drawn = buffer.getvalue()
    assert "4/8 files" in drawn
    assert "3 pages" in drawn and "0.8 pages/s" in drawn
    assert "1 failed" in drawn
    assert "ETA 4s" in drawn
    for name in ("a.pdf", "b.pdf", "c.pdf", "d.pdf"):
        assert f"line for {name}\n" in drawn  # printed whole, above the bar


def test_bar_total_grows_when_more_files_come_than_counted() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, force_interactive=True, width=160)
    clock = Clock()
    p = BatchProgress(1, mode="bar", console=console, clock=clock)
    with p:
        for o in outcomes()[:2]:
            p.update(o)
        clock.now += 1
        assert p.snapshot()["total"] == 2 and p.snapshot()["eta"] == 0


def test_log_records_go_above_the_bar_while_it_is_up() -> None:
    buffer, terminal = io.StringIO(), Stream(tty=True)
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        console = Console(file=buffer, force_terminal=True, force_interactive=True, width=160)
        with BatchProgress(2, mode="bar", console=console, clock=Clock()):
            logging.getLogger("archive.test").warning("something to say")
        assert "something to say" in buffer.getvalue() and terminal.getvalue() == ""
        assert handler.stream is terminal, "the handler's stream is given back"
        logging.getLogger("archive.test").warning("after the bar")
        assert "after the bar" in terminal.getvalue()
    finally:
        root.removeHandler(handler)


def test_off_shows_nothing() -> None:
    stream = io.StringIO()
    with BatchProgress(2, mode="off", stream=stream, interval=0.001) as p:
        p.update(outcomes()[0])
    assert stream.getvalue() == ""


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("quiet", "as_json", "out_tty", "err_tty", "expected"),
    [
        (True, False, True, True, ("off", "err")),
        (False, False, False, False, ("lines", "err")),
        (False, True, False, False, ("lines", "err")),
        (False, False, True, False, ("lines", "err")),
        (False, False, False, True, ("bar", "err")),  # stdout into a file: the bar on the terminal's stderr
        (False, True, False, True, ("bar", "err")),
        (False, False, True, True, ("bar", "out")),  # per-file lines and the bar on the same stdout
        (False, True, True, True, ("lines", "err")),  # JSON on the terminal: no bar to tangle with it
    ],
)
def test_choose_mode(monkeypatch, quiet, as_json, out_tty, err_tty, expected) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    out, err = Stream(out_tty), Stream(err_tty)
    mode, stream = choose_mode(quiet=quiet, as_json=as_json, stdout=out, stderr=err)
    assert (mode, "out" if stream is out else "err") == expected


def test_format_eta_and_interval(monkeypatch) -> None:
    assert [format_eta(s) for s in (None, 0, 7.4, 115, 3725)] == ["?", "0s", "7s", "1m55s", "1h02m"]
    monkeypatch.setenv(INTERVAL_ENV, "0.5")
    assert interval_from_env() == 0.5
    monkeypatch.delenv(INTERVAL_ENV)
    assert interval_from_env() == 10.0
    for bad in ("", "soon", "0", "-3"):
        monkeypatch.setenv(INTERVAL_ENV, bad)
        assert interval_from_env() == 10.0
