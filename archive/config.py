"""Where the archive lives and how it is set up.

An archive is a folder (``./sigillo-archive`` by default, ``$SIGILLO_HOME`` or ``--home`` otherwise)::

    sigillo.toml        settings (TOML, written at init, edited by hand)
    catalog.sqlite3     the catalog: documents, pages, batches (the source of truth)
    objects/ab/cdef…    originals, content-addressed by SHA-256, read-only
    index/<engine>/     the search index: a copy, rebuilt from the catalog by `sigillo reindex`
    tmp/                scratch space for atomic writes (same file system as objects/)
    lock                the write lock (one writer at a time)
    quarantine/<sha256>/ a copy of each file a batch could not ingest, with reason.json (`sigillo quarantine`)
    keys/               the archive's seal key (0600) and certificate; keys/tsa/ the built-in local TSA's;
                        keys/history/ certificates replaced by `sigillo keys import` (old checkpoints name them)
    seals/<n>/          checkpoint n: checkpoint.txt, its CMS signature .p7s, its RFC 3161 request .tsq and reply .tsr

Folders are created readable by their owner only: they hold debtors' personal data.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ArchiveMissingError, ConfigError

__all__ = ["DEFAULT_HOME", "SETTINGS_FILE", "Layout", "Settings", "resolve_home", "write_settings"]

DEFAULT_HOME = "sigillo-archive"
SETTINGS_FILE = "sigillo.toml"
ARCHIVE_FORMAT = 1


def resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """The archive folder: ``home`` if given, else ``$SIGILLO_HOME``, else ``./sigillo-archive``."""
    chosen = home or os.environ.get("SIGILLO_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser().absolute()


@dataclass(frozen=True)
class Layout:
    """The paths inside one archive folder."""

    home: Path

    @property
    def settings(self) -> Path:
        return self.home / SETTINGS_FILE

    @property
    def catalog(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def objects(self) -> Path:
        return self.home / "objects"

    @property
    def tmp(self) -> Path:
        return self.home / "tmp"

    @property
    def lock(self) -> Path:
        return self.home / "lock"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def seals(self) -> Path:
        return self.home / "seals"

    def index(self, engine: str) -> Path:
        return self.home / "index" / engine

    def exists(self) -> bool:
        return self.settings.is_file() and self.catalog.is_file()

    def require(self) -> None:
        """Raise ArchiveMissingError unless an archive is here."""
        if not self.exists():
            raise ArchiveMissingError(f"no Sigillo archive at {self.home}")


PASSPHRASE_ENV = "SIGILLO_KEY_PASSPHRASE"  # the seal key's passphrase, when it is encrypted


@dataclass(frozen=True)
class Settings:
    """The archive's settings, read from ``sigillo.toml``; every key has a default."""

    name: str = "sigillo-archive"
    languages: str = "ita+eng"  # tesseract languages, joined by "+"
    dpi: int = 300  # resolution for rendering image-only PDF pages
    page_timeout: float = 180.0  # seconds of OCR per page before it is given up (page kept, with a warning)
    min_text_chars: int = 50  # letters/digits a PDF page's text layer needs to be read instead of OCR'd
    max_pages: int = 2000
    max_image_megapixels: int = 150  # under Pillow's own hard limit (~179 M pixels)
    max_file_mb: int = 2048
    search_engine: str = "tantivy"  # or "whoosh" (pure Python, slower); `sigillo reindex --engine` switches
    exclude: tuple[str, ...] = field(default=(".*", "Thumbs.db", "desktop.ini", "~$*"))
    lock_wait: float = 10.0  # seconds a writer waits for another one to finish
    organization: str = ""  # O= of the archive's self-signed seal certificate
    tsa_url: str = ""  # an external RFC 3161 TSA; empty: the built-in local TSA (not qualified)
    tsa_trust: str = ""  # PEM file of the external TSA's root certificate(s), pinned independently
    tsa_ca_bundle: str = ""  # CA bundle for an https TSA URL (empty: the system's)
    tsa_username: str = ""  # basic auth; the password comes from $SIGILLO_TSA_PASSWORD, never from this file
    tsa_timeout: float = 15.0
    tsa_retries: int = 2
    # case files (`sigillo case`)
    jurisdiction: str = "Italy"  # whose limitation periods apply when an invoice's contract names no other
    payment_terms_days: int = 30  # an invoice without a due date is due this many days after issue (D.Lgs. 231/2002)
    periodic_words: tuple[str, ...] = field(default=(
        "canone", "canoni", "locazione", "affitto", "abbonamento", "noleggio", "rent", "lease", "rental",
        "subscription", "monthly fee", "quarterly fee", "annual fee", "service period", "periodo di fatturazione",
        "billing period",
    ))
    # jurisdiction -> (ordinary years, periodic years, public-holiday calendar: "IT" or "" for Sundays only)
    limitation: tuple[tuple[str, int, int, str], ...] = (("Italy", 10, 5, "IT"),)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read ``path``; unknown keys and wrong types are errors that name the key."""
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ArchiveMissingError(f"no settings file at {path}") from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        flat: dict[str, Any] = {}
        limitation = _limitation_table(path, raw)
        if limitation is not None:
            flat["limitation"] = limitation
        for section, values in raw.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: '{section}' must be a [section]")
            flat.update(values)
        flat.pop("format", None)
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in flat.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting '{key}'")
            if key == "limitation":
                kwargs[key] = value
                continue
            default = getattr(cls, key) if key != "exclude" else ()
            if isinstance(default, tuple):
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise ConfigError(f"{path}: '{key}' must be a list of strings")
                value = tuple(value)
            elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            elif type(value) is not type(default):
                raise ConfigError(f"{path}: '{key}' must be a {type(default).__name__}, not {value!r}")
            kwargs[key] = value
        settings = cls(**kwargs)
        settings._validate(path)
        return settings

    def _validate(self, path: Path) -> None:
        from search.engine import ENGINES  # the registry only: no engine library is imported

        if self.search_engine not in ENGINES:
            known = " or ".join(f'"{name}"' for name in sorted(ENGINES))
            raise ConfigError(f"{path}: search_engine must be {known}, not {self.search_engine!r}")
        if not self.languages or not all(part.isalnum() or "_" in part for part in self.languages.split("+")):
            raise ConfigError(f"{path}: languages must look like \"ita+eng\", not {self.languages!r}")
        for key in ("dpi", "page_timeout", "max_pages", "max_image_megapixels", "max_file_mb", "tsa_timeout"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"{path}: '{key}' must be positive")
        if self.tsa_retries < 0:
            raise ConfigError(f"{path}: 'tsa_retries' must be 0 or more")
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}: tsa_url must be an http:// or https:// URL, not {self.tsa_url!r}")
        if self.tsa_url and not self.tsa_trust:
            raise ConfigError(
                f"{path}: tsa_url is set but tsa_trust is not: name the PEM file of the TSA's root certificate, "
                "obtained from the TSA itself (or the EU Trusted List), so that its tokens can be checked"
            )


def _limitation_table(path: Path, raw: dict[str, Any]) -> tuple[tuple[str, int, int, str], ...] | None:
    """``[cases.limitation.<Jurisdiction>]`` tables (ordinary, periodic, holidays), taken out of ``raw``."""
    cases = raw.get("cases")
    if not isinstance(cases, dict) or "limitation" not in cases:
        return None
    table = cases.pop("limitation")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'cases.limitation' must be tables such as [cases.limitation.Italy]")
    out = []
    for name, spec in table.items():
        where = f"{path}: [cases.limitation.{name}]"
        if not isinstance(spec, dict) or set(spec) - {"ordinary", "periodic", "holidays"}:
            raise ConfigError(f"{where} takes ordinary = years, periodic = years and holidays = \"IT\" or \"\"")
        ordinary, periodic, holidays = spec.get("ordinary"), spec.get("periodic", spec.get("ordinary")), \
            spec.get("holidays", "")
        for key, years in (("ordinary", ordinary), ("periodic", periodic)):
            if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 100:
                raise ConfigError(f"{where}: '{key}' must be a whole number of years from 1 to 100")
        if holidays not in ("IT", ""):
            raise ConfigError(f"{where}: 'holidays' must be \"IT\" (Italian public holidays) or \"\" (Sundays only)")
        out.append((str(name), int(ordinary), int(periodic), str(holidays)))  # type: ignore[arg-type]
    return tuple(out)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _limitation_toml(table: tuple[tuple[str, int, int, str], ...]) -> str:
    out = ["# limitation periods in years, by jurisdiction (Italy: art. 2946 and 2948 c.c.); holidays: \"IT\" moves an",
           "# end date that falls on an Italian public holiday or a Sunday to the next working day (art. 2963 c.c.)"]
    for name, ordinary, periodic, holidays in table:
        out += [f"[cases.limitation.{_toml_key(name)}]", f"ordinary = {ordinary}", f"periodic = {periodic}",
                f"holidays = {_toml_value(holidays)}"]
    return "\n".join(out) + "\n"


def _toml_key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else _toml_value(name)


def set_search_engine(path: Path, engine: str) -> None:
    """Change ``search_engine`` in the settings file, leaving every other line (and comment) as the user wrote it."""
    text = path.read_text(encoding="utf-8")
    line = f"search_engine = {_toml_value(engine)}"
    new, count = re.subn(r"(?m)^\s*search_engine\s*=.*$", line, text)
    if count == 0:
        new = text.rstrip("\n") + f"\n\n[search]\n{line}\n" if "[search]" not in text else re.sub(
            r"(?m)^\[search\]\s*$", f"[search]\n{line}", text, count=1)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_settings(path: Path, settings: Settings) -> None:
    """Write a commented settings file (only at init: afterwards it is the user's)."""
    s = settings
    text = f"""# Sigillo archive settings. Edit with care; `sigillo` reads this file on every command.
[archive]
format = {ARCHIVE_FORMAT}
name = {_toml_value(s.name)}

[ocr]
# tesseract languages joined by "+", e.g. "ita+eng" or "deu+fra+eng" (install the language packs first)
languages = {_toml_value(s.languages)}
# resolution at which image-only PDF pages are rendered for OCR
dpi = {s.dpi}
# seconds of OCR per page before tesseract is stopped; the page is kept without text and a warning is recorded
page_timeout = {_toml_value(s.page_timeout)}
# a PDF page whose text layer has fewer letters and digits than this is treated as a scan and OCR'd
min_text_chars = {s.min_text_chars}

[limits]
max_pages = {s.max_pages}
max_image_megapixels = {s.max_image_megapixels}
max_file_mb = {s.max_file_mb}

[ingest]
# file names skipped when ingesting folders (shell patterns)
exclude = {_toml_value(s.exclude)}
# seconds a command waits for another sigillo process that is writing to this archive
lock_wait = {_toml_value(s.lock_wait)}

[search]
search_engine = {_toml_value(s.search_engine)}

[sealing]
# O= in the archive's self-signed seal certificate (replace the certificate with `sigillo keys import`)
organization = {_toml_value(s.organization)}
# An external RFC 3161 time-stamping authority. Empty: the built-in local TSA, which is NOT qualified (its time is
# this machine's clock). For legal time in the EU, use a qualified TSA from the EU Trusted List; see docs/sealing.md.
tsa_url = {_toml_value(s.tsa_url)}
# PEM file with the TSA's root certificate(s), obtained independently (needed with tsa_url)
tsa_trust = {_toml_value(s.tsa_trust)}
# CA bundle for an https tsa_url (empty: the system's); basic-auth user (password: $SIGILLO_TSA_PASSWORD)
tsa_ca_bundle = {_toml_value(s.tsa_ca_bundle)}
tsa_username = {_toml_value(s.tsa_username)}
tsa_timeout = {_toml_value(s.tsa_timeout)}
tsa_retries = {s.tsa_retries}

[cases]
# `sigillo case`: whose limitation periods apply when an invoice's contract names no other governing law
jurisdiction = {_toml_value(s.jurisdiction)}
# an invoice without a due date is taken as due this many days after its issue date
payment_terms_days = {s.payment_terms_days}
# words that mark an invoice (or its contract) as a periodic payment: rent, fees, subscriptions
periodic_words = {_toml_value(s.periodic_words)}
{_limitation_toml(s.limitation)}"""
    path.write_text(text, encoding="utf-8")
