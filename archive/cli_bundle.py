"""The `sigillo` commands about evidence bundles: export, verify-bundle. Registered on the main group by ``cli.py``."""

from __future__ import annotations

from pathlib import Path

import click

from .cli import _echo_json, cli, home_option, json_option, open_archive
from .cli_sealing import print_findings
from .errors import ExitCode, KeyProblemError, TimestampPendingError


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


@cli.command()
@home_option
@click.argument("docs", nargs=-1)
@click.option("--query", "-q", default=None, metavar="Q", help="Export every document this search query matches.")
@click.option("--case", "case", default=None, metavar="DEBTOR",
              help="Export the documents whose buyer or debtor is DEBTOR (a name, or a VAT id).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The bundle to write: a new folder, or with --zip a new zip file. Never overwritten.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one zip file (implied when OUTPUT ends in .zip).")
@click.option("--reason", default="", metavar="TEXT",
              help="Why the bundle is made (e.g. 'Tribunale di Milano, R.G. 1234/2026'): in the report and the log.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing.")
@json_option
@click.pass_context
def export(ctx: click.Context, docs: tuple[str, ...], query: str | None, case: str | None, output: Path,
           as_zip: bool, reason: str, wait: float | None, as_json: bool) -> None:
    """Write an evidence bundle that a court expert can check without Sigillo.

    The bundle (a BagIt 1.0 folder or zip; docs/bundle-format.md) holds each document's original, bit-exact,
    with its seal record and inclusion proof, its text and fields; the checkpoints that seal them with their
    signatures and RFC 3161 time-stamps; copies of the certificates; the audit-log entries about these documents
    with the chain that proves them; REPORT.pdf and REPORT.html for people; VERIFY.txt and verify.sh to check it
    all with sha256sum, openssl and python3. The archive seals what is unsealed first, signs and time-stamps the
    bundle itself, and records the export in the audit log.

    Choose the documents by id (or unique prefix), by --query, or by --case DEBTOR: the documents whose
    buyer_name or debtor_name matches DEBTOR (or whose buyer VAT id does, when DEBTOR looks like one). Full case
    files (contracts by party, linked letters) will come with `sigillo case`.

    Exit code 0 when the bundle is complete; 11 when it was written but a time-stamp is still pending, 10 when
    the seal key could not be used (documents unsealed, bundle unsigned): verify.sh then fails on what is missing.

    \b
    Examples:
      sigillo export 3f2a9c1e 77b0d4e2 -o rossi-bundle
      sigillo export --case "Rossi Costruzioni S.r.l." -o rossi.zip --reason "decreto ingiuntivo, avv. Bianchi"
      sigillo export --case IT01234567897 -o case.zip --json
      sigillo export --query 'doc_type:invoice due_date:<2025-01-01' -o overdue --zip
    """
    from .bundle import export_bundle, select_documents

    chosen = sum(bool(x) for x in (docs, query is not None, case is not None))
    if chosen != 1:
        raise click.UsageError("choose the documents with DOC ids, --query or --case (exactly one of them)")
    if output.name.lower().endswith(".zip"):
        as_zip = True
    archive = open_archive(ctx)
    selection = select_documents(archive, docs, query=query, case=case)
    result = export_bundle(archive, selection, output, as_zip=as_zip, reason=reason, wait=wait)
    if as_json:
        _echo_json(result.as_json())
    else:
        what = "zip" if result.zip else "folder"
        click.echo(f"Exported {result.documents} document{'s' if result.documents != 1 else ''} to {result.path} "
                   f"({what}, {_size(result.size)}) in {result.seconds:.1f} s.")
        seal = "sealed by the archive" if result.signed else "NOT sealed (see below)"
        stamp = f", timestamped {result.gen_time} by {result.tsa}" if result.timestamped else ", NOT timestamped"
        click.echo(f"  bundle    {result.bundle_id}: {seal}{stamp if result.signed else ''}")
        later = (f" ({result.unproven_entries} later entr{'y' if result.unproven_entries == 1 else 'ies'} not yet "
                 "under a checkpoint: left out)") if result.unproven_entries else ""
        cps = ", ".join(str(n) for n in result.checkpoints) or "none"
        click.echo(f"  evidence  checkpoints {cps}; {result.audit_entries} audit entries{later}")
        target = result.path
        click.echo(f"Check it:  sigillo verify-bundle {target}   (without Sigillo: sh verify.sh in the "
                   f"{'unzipped ' if result.zip else ''}folder)")
    for problem in result.problems:
        click.secho(f"Warning: {problem}", fg="yellow", err=True)
    if result.key_problem or not result.signed:
        raise KeyProblemError(f"the bundle was written to {result.path}, but the archive's seal key could not be "
                              "used: it is incomplete and verify.sh fails on it")
    if result.pending or result.unsealed or not result.timestamped:
        raise TimestampPendingError(f"the bundle was written to {result.path}, but a time-stamp is missing: "
                                    "verify.sh fails on it", hint="run `sigillo seal` when the TSA can be reached, "
                                    "then export again")


@cli.command(name="verify-bundle")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--seal-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Trust this seal certificate (PEM, obtained independently) instead of the bundle's copy.")
@click.option("--tsa-root", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Trust this TSA root (PEM, obtained independently) instead of the bundle's copy.")
@click.option("--quiet", "-q", is_flag=True, help="Only failures, warnings and the summary.")
@json_option
@click.pass_context
def verify_bundle(ctx: click.Context, path: Path, seal_cert: Path | None, tsa_root: Path | None, quiet: bool,
                  as_json: bool) -> None:
    """Check an evidence bundle (folder or zip) made by `sigillo export`; needs no archive.

    Checks BagIt completeness and fixity (every file listed, unchanged, nothing added), each original against its
    seal record, each inclusion proof against its checkpoint, each checkpoint's signature and RFC 3161
    time-stamp, the audit excerpt against the audit head a checkpoint commits to, and the bundle's own signature
    and time-stamp. Every file that fails is named. A zip is first extracted into a temporary folder, safely: a
    zip with absolute paths, '..', links, duplicate names or an excessive size or compression ratio is refused.

    The certificates inside the bundle are copies: compare the fingerprints printed first with those you obtained
    independently, or give those with --seal-cert and --tsa-root. Exit code 0 when every check held, 1 when one
    failed, 12 when the zip is refused as unsafe or damaged.

    \b
    Examples:
      sigillo verify-bundle rossi.zip
      sigillo verify-bundle rossi-bundle/ --seal-cert seal-from-owner.pem --tsa-root tsa-root.pem
      sigillo verify-bundle rossi.zip --json
    """
    from .bundle_verify import verify_bundle as check

    report = check(path, seal_cert=seal_cert, tsa_root=tsa_root)
    if as_json:
        _echo_json(report.as_json())
    else:
        click.echo("Pin the trust anchors independently: compare these fingerprints with those of the archive's "
                   "owner (seal) and of the TSA (root), or pass your own with --seal-cert and --tsa-root.")
        for a in report.anchors:
            kind = "seal certificate" if a.kind == "seal" else "TSA root        "
            click.echo(f"  {kind}  SHA-256 {a.fingerprint}  {a.subject}")
        print_findings(report, quiet)
        about = f"bundle {report.bundle_id or '?'} exported {report.exported_at or '?'}"
        if report.ok:
            click.echo(f"All checks passed: {report.documents} documents, {report.checkpoints} checkpoints, "
                       f"{report.audit_entries} audit entries, the bundle's own seal (timestamped "
                       f"{report.gen_time}); {about}.")
        else:
            click.secho(f"{len(report.failures)} check(s) FAILED: the bundle must not be relied on ({about}).",
                        fg="red")
    if not report.ok:
        ctx.exit(ExitCode.FAILURES)
