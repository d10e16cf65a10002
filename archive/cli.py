"""The `sigillo` command. Parses arguments, calls the library, formats the output; nothing else.

Errors are translated once, at the edge (``_GuardedGroup.invoke``): a ``SigilloError`` becomes one line (plus a hint)
and its exit code, Ctrl-C exits 130, anything else is an internal error whose traceback only ``--debug`` shows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import ExitCode, SigilloError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code.value:<4}{text}"
    for code, text in [
        (ExitCode.OK, "success"),
        (ExitCode.FAILURES, "done, but some inputs or (verify) checks failed: each is named in the output"),
        (ExitCode.USAGE, "wrong arguments or options"),
        (ExitCode.NO_ARCHIVE, "no archive here (or it already exists, or its settings are invalid)"),
        (ExitCode.BUSY, "another sigillo process is writing to the archive"),
        (ExitCode.MISSING_TOOL, "tesseract or one of its languages is not installed"),
        (ExitCode.NOT_FOUND, "no document with that id, or an ambiguous id prefix"),
        (ExitCode.INTEGRITY, "the catalog or a stored original is damaged (run `sigillo verify`)"),
        (ExitCode.INDEX, "the search index is damaged or missing: run `sigillo reindex`"),
        (ExitCode.KEYS, "the seal key cannot be used (set SIGILLO_KEY_PASSPHRASE?)"),
        (ExitCode.TIMESTAMP, "a timestamp is still pending: run `sigillo seal` when the TSA is reachable"),
        (ExitCode.BUNDLE, "the bundle cannot be opened safely (a hostile or damaged zip)"),
        (ExitCode.INTERNAL, "internal error: run again with --debug and report the traceback"),
        (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
    ]
)


def _fail(message: str, hint: str, code: int) -> None:
    click.secho(f"Error: {message}", err=True, fg="red")
    if hint:
        click.echo(f"Hint: {hint}", err=True)
    sys.exit(code)


class _GuardedGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SigilloError as exc:
            if (ctx.obj or {}).get("debug"):
                traceback.print_exc()
            _fail(str(exc), exc.hint, exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except BrokenPipeError:  # the reader went away (`sigillo search … | head`): stop quietly, as cat does
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(ExitCode.OK)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                traceback.print_exc()
            _fail(
                f"internal error: {type(exc).__name__}: {exc}",
                "run the same command with --debug for the details, and report them",
                ExitCode.INTERNAL,
            )
        return None


def _set_home(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["home"] = value


def home_option(f: F) -> F:
    """``--home`` accepted after the command too (``sigillo init --home DIR``)."""
    return click.option(
        "--home",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_set_home,
        is_eager=True,
        help="Archive folder (default: $SIGILLO_HOME, else ./sigillo-archive).",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(f)


@click.group(cls=_GuardedGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar="SIGILLO_HOME", show_envvar=True,
              help="Archive folder (default: ./sigillo-archive).")
@click.option("--debug", is_flag=True, help="Log details and show tracebacks.")
@click.version_option(package_name="sigillo", prog_name="sigillo")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool) -> None:
    """Sigillo: a sealed, searchable archive for credit documents.

    \b
    Typical session:
      sigillo init                          create ./sigillo-archive
      sigillo ingest scans/ invoices/       store, OCR and index files
      sigillo search 'sollecito rossi'      find documents
      sigillo show 3f2a9c1e                 metadata and text of one document
      sigillo get 3f2a9c1e -o copy.pdf      the original, bit-exact
      sigillo verify                        check seals, signatures, timestamps, audit log
    """
    obj = ctx.ensure_object(dict)
    obj.setdefault("home", home)
    obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def open_archive(ctx: click.Context) -> Any:
    from .core import Archive

    archive = Archive.open(ctx.obj.get("home"), command=ctx.command_path)
    ctx.call_on_close(archive.close)
    return archive


def _echo_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


# --------------------------------------------------------------------------------------------------------------
@cli.command()
@home_option
@click.option("--languages", default=None, help="Tesseract languages for OCR, e.g. ita+eng (the default).")
@click.option("--organization", default="", help="O= of the archive's self-signed seal certificate.")
@click.option("--passphrase", is_flag=True,
              help="Ask for a passphrase to encrypt the archive's keys (or set SIGILLO_KEY_PASSPHRASE).")
@click.pass_context
def init(ctx: click.Context, languages: str | None, organization: str, passphrase: bool) -> None:
    """Create a new, empty archive, with its seal key and certificate and its local time-stamping authority.

    The seal key (ECDSA P-256) signs every checkpoint; its certificate is self-signed until you install one
    issued by a CA with `sigillo keys import`. The built-in TSA is NOT qualified: its time is this machine's
    clock. Point `tsa_url` in sigillo.toml at a qualified TSA for legal time (see docs/sealing.md).

    \b
    Examples:
      sigillo init --home /srv/sigillo
      SIGILLO_KEY_PASSPHRASE=… sigillo init --organization 'Rossi Recupero Crediti S.r.l.'
      sigillo init --passphrase
    """
    from .config import Settings, resolve_home
    from .core import Archive
    from .identity import passphrase_from_env

    home = resolve_home(ctx.obj.get("home"))
    secret = passphrase_from_env()
    if passphrase:
        secret = click.prompt("Passphrase for the archive's keys", hide_input=True,
                              confirmation_prompt=True).encode("utf-8")
    settings = Settings(name=home.name, organization=organization,
                        **({"languages": languages} if languages else {}))
    archive = Archive.init(home, settings, passphrase=secret, command=ctx.command_path)
    from signing.keys import describe_certificate

    info = describe_certificate(archive.keys.seal_certificate())
    archive.close()
    click.echo(f"Created an empty archive at {home}")
    click.echo(f"Seal certificate: {info.subject} (self-signed), SHA-256 {info.sha256_fingerprint}")
    click.echo("Time-stamps: the built-in local TSA (not qualified). Key files are readable by you only"
               + (", encrypted with your passphrase." if secret else "."))
    click.echo(f"Settings: {home / 'sigillo.toml'}. Next: sigillo --home {home} ingest FOLDER")


@cli.command()
@home_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--exclude", multiple=True, metavar="PATTERN",
              help="Skip file names matching this shell pattern when walking folders (repeatable).")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing (default: lock_wait setting).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for text extraction and OCR (default: the number of cores; 1: in this "
                   "process).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress and no line per ingested or duplicate file: only failures, warnings and a "
                   "one-line summary (with --json: only the failed files and the summary).")
@json_option
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], exclude: tuple[str, ...], wait: float | None,
           workers: int | None, quiet: bool, as_json: bool) -> None:
    """Store, read (text layer or OCR) and index files and folders.

    Each file is identified by its content, not its name. Files already in the archive are reported as
    duplicates and not stored again. A file that cannot be ingested is named with the reason, and the batch
    goes on; the exit code is then 1.

    Progress: on a terminal, a live bar (files done and to do, pages, pages/s, ETA, failures so far) under the
    per-file lines, and a summary table at the end; into a log or a pipe, a plain `progress:` line on stderr
    every 10 seconds (SIGILLO_PROGRESS_INTERVAL=SECONDS to change it), and the summary as two lines. stdout
    stays pure JSON lines with --json.

    \b
    Examples:
      sigillo ingest scans/2024-11/
      sigillo ingest invoice.pdf contract.tiff --json
      sigillo ingest inbox/ --exclude '*.json' --exclude 'draft-*'
      sigillo ingest /srv/scans/ --quiet          # from cron: failures and the summary only
    """
    from .pipeline import FileOutcome, discover, ingest_paths
    from .progress import BatchProgress, choose_mode, is_terminal, summary_table, throughput

    archive = open_archive(ctx)
    mode, stream = choose_mode(quiet=quiet, as_json=as_json)
    progress: BatchProgress | None = None

    def show(o: FileOutcome) -> None:
        if progress is not None:
            progress.update(o)
        if quiet and o.status != "failed":
            return
        if as_json:
            _echo_json(o.as_json())
            return
        echo = progress.echo if progress is not None else lambda text, colour=None: click.secho(text, fg=colour)
        short = (o.sha256 or "")[:12]
        if o.status == "new":
            how = "OCR" if o.ocr_pages == o.pages else "text layer" if o.ocr_pages == 0 else "text layer + OCR"
            extra = f"  ({o.pages} page{'s' if o.pages != 1 else ''}, {how}, {o.seconds:.1f} s)"
            echo(f"new        {short}  {o.path}{extra}")
            for w in o.warnings:
                echo(f"           warning: {w}")
        elif o.status == "duplicate":
            echo(f"duplicate  {short}  {o.path}  (already archived as {o.duplicate_of})")
        else:
            echo(f"failed     {short:12}  {o.path}: {o.reason}", "red")

    patterns = tuple(archive.settings.exclude) + exclude
    with archive.write_lock("ingest", wait):
        if mode != "off":  # the total for the ETA: one cheap walk of the folders, before the real one
            progress = BatchProgress(sum(1 for _ in discover(paths, patterns)), mode=mode, stream=stream)
        try:
            if progress is not None:
                progress.start()
            summary = ingest_paths(archive, paths, exclude=patterns, on_outcome=show,
                                   workers=workers or os.cpu_count() or 1)
        finally:
            if progress is not None:
                progress.stop()
    rate = throughput(summary.pages, summary.seconds)
    line = (
        f"{summary.files} file{'s' if summary.files != 1 else ''}: {summary.new} new, {summary.duplicates} "
        f"duplicate{'s' if summary.duplicates != 1 else ''}, {summary.failed} failed "
        f"({summary.pages} page{'s' if summary.pages != 1 else ''}, {summary.seconds:.1f} s)"
    )
    seal = summary.seal
    checkpoint = seal.checkpoint if seal else None
    if as_json:
        _echo_json({"summary": {"batch_id": summary.batch_id, "files": summary.files, "new": summary.new,
                                "duplicates": summary.duplicates, "failed": summary.failed,
                                "pages": summary.pages, "seconds": round(summary.seconds, 3),
                                "pages_per_second": round(rate, 3),
                                "sealed": seal.sealed if seal else 0,
                                "checkpoint": checkpoint.number if checkpoint else None,
                                "timestamp_pending": bool(seal and seal.pending) or summary.seal_warning is not None}})
    elif quiet:
        click.echo(line)
    else:
        from rich.console import Console

        console = Console(file=sys.stdout, highlight=False)
        if is_terminal(sys.stdout) and not console.is_dumb_terminal:  # for people: a table
            console.print(summary_table(files=summary.files, new=summary.new, duplicates=summary.duplicates,
                                        failed=summary.failed, pages=summary.pages, seconds=summary.seconds))
        else:
            click.echo(line)
            click.echo(f"Throughput: {rate:.1f} pages/s.")
        if checkpoint is not None:
            stamped = checkpoint.number in seal.timestamped
            row = archive.checkpoint(checkpoint.number)
            when = f", timestamped {row.gen_time} by {_tsa_label(row)}" if stamped else ""
            click.echo(f"Sealed {seal.sealed} document{'s' if seal.sealed != 1 else ''} in checkpoint "
                       f"{checkpoint.number} (signed{when}).")
    if summary.seal_warning:
        click.secho(f"Warning: {summary.seal_warning}", fg="yellow", err=True)
    if summary.index_warning:
        click.secho(f"Warning: {summary.index_warning}", fg="yellow", err=True)
    if summary.files == 0:
        click.echo("No files found under the given paths.", err=True)
    if summary.failed:
        ctx.exit(ExitCode.FAILURES)


def _tsa_label(row: Any) -> str:
    """How a checkpoint's TSA is named to people: never "qualified" for the local one."""
    if row.tsa == "local":
        return "the local TSA (not qualified)"
    claim = "claims qualified status; check the EU Trusted List" if row.qualified else "not qualified"
    return f"{row.tsa_name or row.tsa} ({claim})"


def _fragment_text(fragment: list[tuple[str, bool]], tty: bool) -> str:
    out = []
    for text, match in fragment:
        if match:
            out.append(click.style(text, bold=True, underline=True) if tty else f"**{text}**")
        else:
            out.append(text)
    return "".join(out)


def _sort_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check ``--sort`` here, so that a wrong one is a usage error (exit 2) before the archive is opened."""
    if value is None:
        return None
    from search.fields import ValueProblem, parse_sort

    try:
        parse_sort(value)
    except ValueProblem as exc:
        raise click.BadParameter(
            f"{value!r}: choose relevance, date, date:asc, amount or amount:asc", ctx=ctx, param=param
        ) from exc
    return value


def _facet_option(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return value
    from search.fields import FACETS, field_spec

    names = []
    for item in value:
        spec = field_spec(item)
        if spec is None or spec.name not in FACETS:
            raise click.BadParameter(f"{item!r}: choose {', '.join(FACETS)}", ctx=ctx, param=param)
        names.append(spec.name)
    return tuple(dict.fromkeys(names))


CSV_COLUMNS = ("rank", "id", "score", "doc_type", "date", "amount", "currency", "party", "reference", "filename")


def _key_line(row: Any) -> str:
    """doc_type · date · amount currency · party · reference: what tells one hit from another at a glance."""
    amount = " ".join(v for v in (row.amount, row.currency if row.amount else None) if v)
    parts = [row.document.doc_type, row.date, amount, row.party, row.reference]
    return " · ".join(p for p in parts if p)


@cli.command()
@home_option
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="How many results to show.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many results (paging).")
@click.option("--sort", "sort", metavar="ORDER", callback=_sort_option, default=None,
              help="relevance (the default: best first), date (newest first), date:asc (oldest first), "
                   "amount (largest first) or amount:asc. Documents without a date or amount come last. "
                   "Amounts are compared as printed, not converted: add currency:EUR to sort one currency.")
@click.option("--facet", "facets", metavar="FIELD", multiple=True, callback=_facet_option,
              help="Count the values of FIELD over all the matches (repeatable): doc_type, language, media_type, "
                   "currency, seller_name, buyer_name, creditor_name, debtor_name.")
@click.option("--facet-top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many values of each --facet to show.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (a header, then one row per hit) instead of text.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], limit: int, offset: int, sort: str | None,
           facets: tuple[str, ...], facet_top: int, as_json: bool, as_csv: bool) -> None:
    """Full-text and field search, ranked, with highlighted snippets and each hit's key fields.

    Words are matched whatever their case, accents and ligatures, and across inflections in the document's
    language (fattura/fatture in Italian, invoice/invoices in English; very short words, such as "di", only as
    written). Several words must all appear.

    \b
    Syntax:
      word another              both words (AND is implied)
      "amount due"              an exact phrase
      rossi OR bianchi          either;  NOT word  or  -word  excludes;  (a OR b) c  groups
      ross*   rossi~            a prefix;  a fuzzy match (one typo; rossi~2 for two)
      field:value               a field of the document (below); field:"several words"
      total_amount:[1000 TO 5000]   a range (inclusive; {a TO b} exclusive; either end may be empty)
      total_amount:>1000        also >=, <, <= ; amounts as 1234.56, 1.234,56 or 1,234.56
      due_date:<2025-03-01      dates as YYYY-MM-DD; due_date:2024 or due_date:2024-03 is that period
      *                         every document (e.g. with --sort or --facet)
    \b
    Fields (FIELDS.md):
      invoices       invoice_number issue_date due_date currency net_amount tax_amount total_amount
                     seller_name seller_vat_id buyer_name buyer_vat_id buyer_tax_code iban contract_ref
      contracts      contract_number parties signing_date effective_date end_date contract_value
                     governing_law
      dunning        creditor_name debtor_name letter_date amount_due invoice_refs payment_deadline
      the archive    doc_type media_type language filename id ingested pages
      groups         debtor (buyer_name or debtor_name), creditor, name, vat_id, amount, date, invoice
    VAT ids, tax codes and IBANs match whatever their spacing; names match word by word.
    A query that cannot be parsed is searched as plain words, with a note.

    \b
    Results:
      --sort date      by the document's own date (issue, letter, signing or effective date), newest first
      --sort amount    by its amount (total, amount due or contract value), largest first; :asc reverses
      --facet FIELD    value counts over all the matches, after the results (in --json: "facets")
      --csv            rank,id,score,doc_type,date,amount,currency,party,reference,filename
                       (party: buyer or debtor; reference: invoice or contract number)

    \b
    Examples:
      sigillo search sollecito
      sigillo search 'buyer_name:rossi total_amount:[1000 TO 5000] due_date:[TO 2025-03-01]'
      sigillo search 'doc_type:dunning_letter debtor:"harbour logistics"' --json
      sigillo search 'iban:"IT60 X054 2811 1010 0000 0123 456"'
      sigillo search 'doc_type:invoice date:2024' --sort amount -n 20
      sigillo search '*' --facet doc_type --facet buyer_name
      sigillo search 'debtor:rossi' --sort date:asc --csv > rossi.csv
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be used together", ctx=ctx)
    if as_csv and facets:
        raise click.UsageError("--facet cannot be used with --csv (one table per output): use --json", ctx=ctx)
    archive = open_archive(ctx)
    text = " ".join(query)
    rows, total, parsed = archive.search(text, limit=limit, offset=offset, sort=sort)
    counts = archive.facets(text, facets, top=facet_top + 1) if facets else {}
    if as_csv:
        import csv
        import io

        for note in parsed.notes:
            click.secho(f"Note: {note}", fg="yellow", err=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            d = row.document
            writer.writerow([row.rank, d.id, round(row.score, 4), d.doc_type or "", row.date or "", row.amount or "",
                             row.currency or "", row.party or "", row.reference or "", d.original_name])
        click.echo(buffer.getvalue(), nl=False)
        return
    if as_json:
        results = []
        for row in rows:
            snippets = []
            for fragment in row.fragments:
                pos, matches = 0, []
                for part, is_match in fragment:
                    if is_match:
                        matches.append([pos, pos + len(part)])
                    pos += len(part)
                snippets.append({"text": "".join(p for p, _ in fragment), "matches": matches})
            d = row.document
            results.append({
                "rank": row.rank, "id": d.id, "score": round(row.score, 4), "filename": d.original_name,
                "media_type": d.media_type, "pages": d.page_count, "doc_type": d.doc_type,
                "ingested_at": d.ingested_at, "date": row.date, "amount": row.amount, "currency": row.currency,
                "party": row.party, "reference": row.reference, "snippets": snippets,
            })
        out: dict[str, Any] = {"query": text, "sort": sort or "relevance", "total": total,
                               "notes": list(parsed.notes), "results": results}
        if facets:
            out["facets"] = {name: [{"value": v, "count": c} for v, c in values[:facet_top]]
                             for name, values in counts.items()}
        _echo_json(out)
        return
    for note in parsed.notes:
        click.secho(f"Note: {note}", fg="yellow", err=True)
    if total == 0:
        click.echo(f"No document matches {text!r}.")
        return
    shown = f"{offset + 1}–{offset + len(rows)} of {total}" if total > len(rows) else str(total)
    order = "" if sort is None or sort == "relevance" else f", by {sort}"
    click.echo(f"{shown} document{'s' if total != 1 else ''} match {text!r}{order}:")
    tty = sys.stdout.isatty()
    for row in rows:
        d = row.document
        click.echo("")
        click.echo(f"{row.rank:>3}. {click.style(d.id[:12], fg='cyan') if tty else d.id[:12]}  {d.original_name}"
                   f"  ({d.media_type}, {d.page_count} p., received {d.ingested_at[:10]})")
        key = _key_line(row)
        if key:
            click.echo(f"     {click.style(key, fg='green') if tty else key}")
        for fragment in row.fragments:
            click.echo(f"     {_fragment_text(fragment, tty)}")
    if counts:
        click.echo("")
        for name, values in counts.items():
            listed = ", ".join(f"{v} {c}" for v, c in values[:facet_top])
            more = ", …" if len(values) > facet_top else ""
            click.echo(f"{name}: {listed}{more}" if values else f"{name}: (none)")


@cli.command()
@home_option
@click.argument("doc")
@click.option("--text/--no-text", default=True, show_default=True, help="Include the text of each page.")
@click.option("--words", is_flag=True, help="With --json: include every word with its box and confidence.")
@json_option
@click.pass_context
def show(ctx: click.Context, doc: str, text: bool, words: bool, as_json: bool) -> None:
    """Metadata, pages and text of one document.

    DOC is the document's id (the SHA-256 of its original) or any unique prefix of it, at least 4 digits.

    \b
    Examples:
      sigillo show 3f2a9c1e
      sigillo show 3f2a9c1e --json --no-text
    """
    from .fields import effective_fields

    archive = open_archive(ctx)
    d = archive.resolve(doc)
    pages = archive.catalog.pages(d.id)
    sightings = archive.catalog.sightings(d.id)
    fields = effective_fields(archive.catalog, d.id)
    seal = archive.seal_of(d.id)
    checkpoint = archive.checkpoint(seal.checkpoint) if seal else None
    archive.audit.append("show", [d.id])
    if as_json:
        page_list = []
        for p in pages:
            item: dict[str, Any] = {
                "number": p.number, "method": p.method, "dpi": p.dpi,
                "confidence": None if p.confidence is None else round(p.confidence, 3),
                "width": p.width, "height": p.height, "unit": p.unit, "chars": len(p.text),
                "warnings": list(p.warnings), "seconds": round(p.seconds, 3),
            }
            if text:
                item["text"] = p.text
            if words:
                item["words"] = [
                    {"text": w[0], "bbox": list(w[1:5]), "confidence": w[5], "line": w[6]} for w in p.words
                ]
            page_list.append(item)
        _echo_json({
            "id": d.id, "sha256": d.id, "size": d.size, "media_type": d.media_type, "kind": d.kind,
            "original_name": d.original_name, "source_path": d.source_path, "ingested_at": d.ingested_at,
            "batch_id": d.batch_id, "doc_type": d.doc_type,
            "doc_type_score": None if d.doc_type_score is None else round(d.doc_type_score, 3),
            "language": d.language, "fields": {name: f.as_json() for name, f in fields.items()},
            "page_count": d.page_count, "warnings": list(d.warnings), "indexed": d.indexed,
            "sightings": [s.__dict__ for s in sightings], "seal": _seal_json(seal, checkpoint), "pages": page_list,
        })
        return
    ocr = sum(p.method == "ocr" for p in pages)
    layer = sum(p.method == "text" for p in pages)
    rows = [
        ("id", d.id),
        ("original", f"{d.original_name}  ({d.media_type}, {d.size:,} bytes)"),
        ("received", f"{d.ingested_at}  from {d.source_path}"),
        ("batch", d.batch_id),
        ("pages", f"{d.page_count}  ({ocr} OCR, {layer} text layer"
                  f"{', ' + str(d.page_count - ocr - layer) + ' without text' if d.page_count - ocr - layer else ''})"),
        ("doc type", f"{d.doc_type} (score {d.doc_type_score:.2f})" if d.doc_type else "not classified"),
        ("language", d.language or "unknown"),
    ]
    rows += [("also seen", f"{s.path}  ({s.seen_at[:19]}Z)") for s in sightings if s.outcome == "duplicate"]
    rows.append(("sealed", _seal_text(seal, checkpoint)))
    rows += [("warning", w) for w in d.warnings]
    if not d.indexed:
        rows.append(("index", "not in the search index yet (run `sigillo reindex`)"))
    for label, value in rows:
        click.echo(f"{label:<10} {value}")
    if fields:
        click.echo("")
        _print_fields(fields)
    if text:
        for p in pages:
            how = {"ocr": f"OCR at {p.dpi} dpi", "text": "text layer", "empty": "no text"}.get(p.method, p.method)
            if p.confidence is not None:
                how += f", confidence {p.confidence:.2f}"
            click.echo("")
            click.echo(click.style(f"── page {p.number} ({how}) ──", bold=True))
            click.echo(p.text.rstrip() or "(no text)")


@cli.command()
@home_option
@click.argument("doc")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Where to write the original ('-' for standard output).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.pass_context
def get(ctx: click.Context, doc: str, output: Path, force: bool) -> None:
    """Write the original of a document, bit-exact (its SHA-256 is checked on the way out).

    \b
    Examples:
      sigillo get 3f2a9c1e -o invoice.pdf
      sigillo get 3f2a9c1e -o - | sha256sum
    """
    archive = open_archive(ctx)
    d = archive.resolve(doc)
    archive.audit.append("get", [d.id], to="stdout" if str(output) == "-" else str(output))
    if str(output) == "-":
        archive.copy_original(d.id, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if output.exists() and not force:
        raise SigilloError(f"{output} already exists", hint="choose another name, or add --force to overwrite it")
    tmp = output.with_name(f".{output.name}.sigillo-tmp")
    try:
        with open(tmp, "wb") as fh:
            size = archive.copy_original(d.id, fh)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"Wrote {output} ({size:,} bytes, SHA-256 {d.id[:12]}… checked)", err=True)


def _seal_json(seal: Any, checkpoint: Any) -> dict[str, Any] | None:
    if seal is None:
        return None
    return {
        "checkpoint": seal.checkpoint, "leaf_index": seal.leaf_index, "status": checkpoint.status,
        "tsa": checkpoint.tsa, "tsa_name": checkpoint.tsa_name, "gen_time": checkpoint.gen_time,
        "qualified_claim": checkpoint.qualified, "record": seal.record.decode("utf-8"),
    }


def _seal_text(seal: Any, checkpoint: Any) -> str:
    if seal is None:
        return "not yet (run `sigillo seal`)"
    text = f"checkpoint {seal.checkpoint}, leaf {seal.leaf_index} of {checkpoint.tree_size}, signed"
    if checkpoint.status == "timestamped":
        return text + f", timestamped {checkpoint.gen_time} by {_tsa_label(checkpoint)}"
    return text + ", timestamp pending (run `sigillo seal`)"


def _print_fields(fields: dict[str, Any]) -> None:
    width = max(len(n) for n in fields)
    for name, f in fields.items():
        value = f.value if isinstance(f.value, str) else "; ".join(f.value)
        if f.source == "corrected":
            was = f.extracted.value if f.extracted else None
            was_text = "absent" if was is None else (was if isinstance(was, str) else "; ".join(was))
            note = f"corrected by {f.correction.os_user} {f.correction.at[:10]} (extracted: {was_text})"
        else:
            e = f.extracted
            validity = {True: "valid", False: "INVALID", None: ""}[e.valid]
            note = f"confidence {e.confidence:.2f}" + (f", {validity}" if validity else "") + (
                f", page {e.page}" if e.page else "")
        click.echo(f"{name:<{width}}  {value}  ({note})")


@cli.command()
@home_option
@click.argument("doc")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Correct a field (repeatable). An empty VALUE removes it; list fields take values joined by ';'.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing.")
@json_option
@click.pass_context
def fields(ctx: click.Context, doc: str, assignments: tuple[str, ...], wait: float | None, as_json: bool) -> None:
    """Show a document's fields, or correct them.

    Each field shows its value, how sure extraction was (confidence 0–1), whether it passed its check
    (checksums of IBANs, VAT ids and tax codes; dates and totals that add up) and the page it was read from.
    A correction is recorded with who made it and when, wins in search and output, and keeps the
    extracted value beside it.

    \b
    Examples:
      sigillo fields 3f2a9c1e
      sigillo fields 3f2a9c1e --set total_amount=1234.56 --set due_date=2025-03-01
      sigillo fields 3f2a9c1e --set parties='Rossi S.r.l.; Bianchi S.p.A.'
    """
    from .core import host, now_utc, os_user
    from .fields import effective_fields, normalise_correction

    archive = open_archive(ctx)
    d = archive.resolve(doc)
    if assignments:
        changes = []
        for item in assignments:
            name, sep, value = item.partition("=")
            if not sep:
                raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--set")
            changes.append(normalise_correction(name.strip(), value))
        with archive.write_lock("fields", wait):
            current = effective_fields(archive.catalog, d.id)
            for name, value in changes:
                old = current[name].value if name in current else None
                if old == value:
                    continue
                with archive.catalog.transaction():
                    archive.catalog.add_correction(d.id, name, old, value, os_user(), host(), now_utc())
                    archive.audit.append(
                        "correct", [d.id], field=name, old=None if old is None else old if isinstance(old, str)
                        else list(old), new=None if value is None else value if isinstance(value, str) else list(value)
                    )
                if not as_json:
                    shown = "removed" if value is None else value if isinstance(value, str) else "; ".join(value)
                    click.echo(f"{name}: {shown}")
            archive.sync_index()
    result = effective_fields(archive.catalog, d.id)
    if as_json:
        _echo_json({"id": d.id, "doc_type": d.doc_type, "fields": {n: f.as_json() for n, f in result.items()}})
    elif not assignments:
        if result:
            _print_fields(result)
        else:
            click.echo(f"No fields found in {d.original_name}.")


@cli.command(name="eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--languages", default=None, help="Tesseract languages (default: ita+eng).")
@click.option("--min-f1", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 if any field's F1 is below this.")
@click.option("--min-doc-type", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 if the doc_type accuracy is below this.")
@click.option("--mistakes/--no-mistakes", default=True, show_default=True, help="List each document's mistakes.")
@json_option
@click.pass_context
def eval_command(ctx: click.Context, folder: Path, languages: str | None, min_f1: float | None,
                 min_doc_type: float | None, mistakes: bool, as_json: bool) -> None:
    """Measure classification and field extraction against ground truth.

    Every document NAME.ext in FOLDER (recursively) that has NAME.json beside it, in the format of
    samples/corpus, is ingested into a throwaway archive (your archive is not touched) and compared with it:
    doc_type accuracy, and per field precision, recall and F1 (exact after normalisation; names compared
    case- and whitespace-insensitively; lists as sets).

    \b
    Examples:
      sigillo eval samples/corpus
      sigillo eval ../shared/devset/zugferd --json
      sigillo eval samples/corpus --min-f1 0.95 --min-doc-type 0.98
    """
    from .config import Settings
    from .evaluate import below_targets, evaluate

    settings = Settings(**({"languages": languages} if languages else {}))
    report = evaluate(folder, settings=settings)
    missed = list(below_targets(report, min_f1, min_doc_type))
    if as_json:
        _echo_json({**report.as_json(), "below_targets": missed})
    else:
        click.echo(f"{len(report.documents)} documents in {folder} ({report.seconds:.1f} s)")
        click.echo(f"doc_type accuracy: {report.doc_type_accuracy:.3f}")
        click.echo("")
        click.echo(f"{'field':<18} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
        for name, score in report.scored.items():
            click.echo(f"{name:<18} {score.support:>7} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}")
        if report.unlabelled:
            click.echo("not labelled in this set (extracted, not scored): "
                       + ", ".join(f"{n} ({c})" for n, c in report.unlabelled.items()))
        if mistakes:
            for d in report.documents:
                problems = report.mistakes_of(d)
                if problems:
                    click.echo("")
                    click.echo(f"{d.file}:")
                    for p in problems:
                        click.echo(f"  {p}")
        for line in missed:
            click.secho(f"Below target: {line}", fg="red", err=True)
    if missed:
        ctx.exit(ExitCode.FAILURES)


@cli.command()
@home_option
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing.")
@click.option("--engine", default=None, metavar="NAME",
              help="Switch the archive to this search engine (tantivy or whoosh) and record it in the settings.")
@click.pass_context
def reindex(ctx: click.Context, wait: float | None, engine: str | None) -> None:
    """Rebuild the search index from the catalog.

    The catalog is the archive's source of truth; the index is a copy. Run this if search reports a damaged
    index, or after changing the search settings. The old index keeps answering until the new one is ready.

    --engine switches engines: tantivy (fast, compact; the default for new archives) or whoosh (pure Python).
    The new index is built from the catalog first; only then does sigillo.toml name it, and the other engine's
    index is removed. Both engines read the same query language and give the same results.

    \b
    Examples:
      sigillo reindex
      sigillo reindex --engine whoosh
    """
    from search.engine import ENGINES

    if engine is not None and engine not in ENGINES:
        raise click.BadParameter(f"{engine!r} is not a search engine: choose {' or '.join(sorted(ENGINES))}",
                                 param_hint="--engine")
    archive = open_archive(ctx)
    with archive.write_lock("reindex", wait):
        count = archive.switch_engine(engine) if engine else archive.reindex()
    label = f" with {archive.settings.search_engine}"
    click.echo(f"Indexed {count} document{'s' if count != 1 else ''}{label}.")


from . import cli_bundle  # noqa: E402,F401,I001  (registers export, verify-bundle)
from . import cli_sealing  # noqa: E402,F401  (registers seal, verify, keys, log)
from . import cli_watch  # noqa: E402,F401  (registers watch)
from . import cli_quarantine  # noqa: E402,F401  (registers quarantine, doctor)
from . import cli_case  # noqa: E402,F401  (registers case)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sigillo")
