"""Running `sigillo` in-process for tests: the command line, its exit code, and no passphrase leaking in."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from archive.cli import cli
from tests.conftest import CORPUS

Env = dict[str, str | None]


def invoke(home: Path | None, *args: str, env: Env | None = None) -> Result:
    """`sigillo [--home HOME] ARGS…`, with no key passphrase in the environment unless ``env`` gives one."""
    env = {"SIGILLO_KEY_PASSPHRASE": None, **(env or {})}
    prefix = ["--home", str(home)] if home is not None else []
    return CliRunner().invoke(cli, [*prefix, *args], env=env, prog_name="sigillo", catch_exceptions=False)


def run(home: Path | None, *args: str, expect: int = 0, env: Env | None = None) -> Result:
    """Like ``invoke``, asserting the exit code and that no traceback was printed."""
    result = invoke(home, *args, env=env)
    assert result.exit_code == expect, f"exit {result.exit_code}, expected {expect}:\n{result.output}"
    assert "Traceback" not in result.output
    return result


def inbox(folder: Path, names: tuple[str, ...]) -> Path:
    """A folder holding copies of the named samples."""
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy2(CORPUS / name, folder / name)
    return folder
