"""Archive home resolution, settings file validation, and the one-writer lock."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from archive.config import Layout, Settings, resolve_home, write_settings
from archive.errors import ArchiveMissingError, BusyError, ConfigError
from archive.lock import WriteLock


def test_home_resolution_order(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIGILLO_HOME", raising=False)
    assert resolve_home(None) == tmp_path / "sigillo-archive"
    monkeypatch.setenv("SIGILLO_HOME", str(tmp_path / "env"))
    assert resolve_home(None) == tmp_path / "env"
    assert resolve_home(tmp_path / "flag") == tmp_path / "flag"


def test_settings_round_trip_and_defaults(tmp_path):
    path = tmp_path / "sigillo.toml"
    write_settings(path, Settings(name="acme", languages="ita", exclude=("*.json",)))
    loaded = Settings.load(path)
    assert loaded == Settings(name="acme", languages="ita", exclude=("*.json",))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[ocr]\ndpi = 'high'\n", "'dpi' must be a int"),
        ("[ocr]\ncolour = true\n", "unknown setting 'colour'"),
        ("[search]\nsearch_engine = 'lucene'\n", "search_engine must be"),
        ("[ocr]\nlanguages = 'ita eng; rm -rf'\n", "languages must look like"),
        ("[ingest]\nexclude = '*.json'\n", "'exclude' must be a list of strings"),
        ("not toml at all [", "cannot read"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path, body, message):
    path = tmp_path / "sigillo.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        Settings.load(path)


def test_missing_archive_is_named(tmp_path):
    with pytest.raises(ArchiveMissingError, match=f"no Sigillo archive at {tmp_path}"):
        Layout(tmp_path).require()


def test_second_writer_waits_then_says_who_holds_the_lock(tmp_path):
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from archive.lock import WriteLock\n"
         f"with WriteLock(Path({str(lock)!r}), 'ingest'):\n    print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(BusyError, match=r"busy: `sigillo ingest` \(pid \d+ on .*waited 0.5 s"), \
                WriteLock(lock, "reindex", wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: no stale lock after kill -9
    with WriteLock(lock, "reindex", wait=2):
        pass
