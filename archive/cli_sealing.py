"""The `sigillo` commands about evidence: seal, verify, keys, log. Registered on the main group by ``cli.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .cli import _echo_json, _tsa_label, cli, home_option, json_option, open_archive
from .errors import ExitCode, TimestampPendingError


@cli.command()
@home_option
@click.option("--list", "list_", is_flag=True, help="List the checkpoints instead of sealing.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing.")
@json_option
@click.pass_context
def seal(ctx: click.Context, list_: bool, wait: float | None, as_json: bool) -> None:
    """Complete the seals: sign what is unsealed, timestamp what is pending, anchor the audit log.

    Every ingest seals its batch by itself. Run this when an ingest could not reach the time-stamping authority
    (its checkpoint is then "pending") or could not use the seal key, and at the end of a working day, so that
    the audit entries since the last checkpoint (shows, gets, corrections) are committed to a signed,
    timestamped checkpoint too. Exit code 11 when a timestamp is still pending.

    \b
    Examples:
      sigillo seal
      sigillo seal --list --json
    """
    archive = open_archive(ctx)
    if list_:
        from .sealing import checkpoints

        rows = checkpoints(archive.catalog)
        if as_json:
            _echo_json([row.__dict__ for row in rows])
            return
        if not rows:
            click.echo("No checkpoints yet.")
        for row in rows:
            stamp = f"timestamped {row.gen_time} by {_tsa_label(row)}" if row.status == "timestamped" else (
                f"timestamp PENDING ({row.last_error or 'not asked yet'})")
            click.echo(f"checkpoint {row.number:>4}  {row.tree_size:>6} documents  signed  {stamp}")
        return
    with archive.write_lock("seal", wait):
        outcome = archive.seal(anchor_audit=True)
    if as_json:
        _echo_json({
            "checkpoint": outcome.checkpoint.number if outcome.checkpoint else None,
            "sealed": outcome.sealed,
            "timestamped": outcome.timestamped,
            "pending": [{"checkpoint": n, "reason": r} for n, r in outcome.pending],
        })
    else:
        if outcome.checkpoint:
            click.echo(f"Checkpoint {outcome.checkpoint.number}: {outcome.sealed} document"
                       f"{'s' if outcome.sealed != 1 else ''} sealed, audit log anchored, signed.")
        for number in outcome.timestamped:
            row = archive.checkpoint(number)
            click.echo(f"Checkpoint {number}: timestamped {row.gen_time} by {_tsa_label(row)}.")
        if not outcome.checkpoint and not outcome.timestamped and not outcome.pending:
            click.echo("Nothing to seal: every document is sealed and every checkpoint timestamped.")
    if outcome.pending:
        numbers = ", ".join(str(n) for n, _ in outcome.pending)
        reason = outcome.pending[-1][1].rstrip(".")
        which = f"checkpoints {numbers} still have" if len(outcome.pending) > 1 else f"checkpoint {numbers} still has"
        raise TimestampPendingError(f"{which} no timestamp: {reason}")


@cli.command()
@home_option
@click.argument("docs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every document (the default when no DOC is given).")
@click.option("--quiet", "-q", is_flag=True, help="Only failures, warnings and the summary.")
@json_option
@click.pass_context
def verify(ctx: click.Context, docs: tuple[str, ...], all_: bool, quiet: bool, as_json: bool) -> None:
    """Check every integrity claim of the archive and name whatever fails.

    Re-hashes every original and compares it with its seal record; checks each inclusion proof against its
    checkpoint, each checkpoint's signature, its RFC 3161 token (against the pinned TSA root, at the token's own
    time) and its link to the previous checkpoint, and the audit log's chain against the heads the checkpoints
    commit to. One line per document and per checkpoint, then a summary. Exit code 0 only when everything
    holds, 1 when anything fails (each failure is named). The same checks can be run with openssl alone: see
    docs/sealing.md.

    \b
    Examples:
      sigillo verify
      sigillo verify --all --quiet
      sigillo verify 3f2a9c1e --json
    """
    from .verify import verify_archive

    archive = open_archive(ctx)
    if all_ and docs:
        raise click.UsageError("give document ids or --all, not both")
    ids = [archive.resolve(d).id for d in docs] if docs else None
    report = verify_archive(archive, ids)
    archive.audit.append(
        "verify", ids or [], ok=report.ok, failures=len(report.failures), documents=report.documents
    )
    if as_json:
        _echo_json(report.as_json())
    else:
        print_findings(report, quiet)
        mb = report.bytes_hashed / 1e6
        verdict = "All checks passed" if report.ok else f"{len(report.failures)} check(s) FAILED"
        rate = f", {mb / report.seconds:.0f} MB/s" if report.seconds > 0 and mb else ""
        click.echo(
            f"{verdict}: {report.documents} documents ({mb:.1f} MB hashed{rate}), {report.checkpoints} checkpoints, "
            f"{report.audit_entries} audit entries, in {report.seconds:.1f} s."
        )
    if not report.ok:
        ctx.exit(ExitCode.FAILURES)


def print_findings(report: Any, quiet: bool) -> None:
    """A verify report for people: one line per subject (unless ``quiet``), then every failure and warning.

    Shared by `verify` and `verify-bundle`; ``report`` has ``by_subject()``, ``failures`` and ``warnings``.
    """
    if not quiet:
        for subject, level, summary in report.by_subject():
            colour = {"ok": None, "warning": "yellow", "fail": "red"}[level]
            word = {"ok": "ok", "warning": "warning", "fail": "FAILED"}[level]
            click.secho(f"{word:<8}{subject}  {summary}", fg=colour)
    for f in report.failures:
        click.secho(f"FAIL  {f.subject}: {f.check}: {f.detail}", fg="red")
    for f in report.warnings:
        click.secho(f"warn  {f.subject}: {f.check}: {f.detail}", fg="yellow")


@cli.group()
def keys() -> None:
    """The archive's seal key and certificate (the private key is never shown, logged or exported).

    \b
    Examples:
      sigillo keys show
      sigillo keys import seal.key seal.crt ca-chain.pem
    """


def _cert_json(info: Any) -> dict[str, Any]:
    return {
        "subject": info.subject, "issuer": info.issuer, "serial": info.serial_hex,
        "not_before": info.not_before.isoformat(), "not_after": info.not_after.isoformat(),
        "sha256_fingerprint": info.sha256_fingerprint, "self_signed": info.self_signed,
        "key": info.key_description, "extended_key_usages": list(info.extended_key_usages),
        "qualified_statement": info.qualified_hint,
    }


@keys.command(name="show")
@home_option
@json_option
@click.pass_context
def keys_show(ctx: click.Context, as_json: bool) -> None:
    """The seal certificate and the time-stamping authority in use.

    \b
    Examples:
      sigillo keys show
      sigillo keys show --json
    """
    from signing.keys import describe_certificate

    archive = open_archive(ctx)
    seal_info = describe_certificate(archive.keys.seal_certificate())
    chain = [describe_certificate(c) for c in archive.keys.seal_chain_certs()]
    tsa_info = describe_certificate(archive.keys.local_tsa_roots()[0]) if not archive.settings.tsa_url else None
    encrypted = archive.keys.seal_key_encrypted()
    tsa = archive.settings.tsa_url or "local"
    if as_json:
        _echo_json({
            "seal": _cert_json(seal_info), "chain": [_cert_json(c) for c in chain], "key_encrypted": encrypted,
            "key_file": str(archive.keys.seal_key), "tsa": tsa,
            "local_tsa_root": _cert_json(tsa_info) if tsa_info else None,
        })
        return
    click.echo(f"seal certificate  {seal_info.subject}")
    click.echo(f"  issued by        {seal_info.issuer}{'  (self-signed)' if seal_info.self_signed else ''}")
    click.echo(f"  valid            {seal_info.not_before:%Y-%m-%d} to {seal_info.not_after:%Y-%m-%d}")
    click.echo(f"  SHA-256          {seal_info.sha256_fingerprint}")
    click.echo(f"  key              {seal_info.key_description}, {'encrypted' if encrypted else 'not encrypted'}"
               f" ({archive.keys.seal_key}, readable by its owner only)")
    status = "not a qualified certificate"
    if seal_info.qualified_hint:
        status = "the certificate claims qualified status: check its issuer on the EU Trusted List"
    click.echo(f"  status           {status}")
    for c in chain:
        click.echo(f"chain             {c.subject}  (SHA-256 {c.sha256_fingerprint})")
    if tsa_info:
        click.echo("time-stamps       the built-in local TSA: NOT qualified (its time is this machine's clock)")
        click.echo(f"  root             {tsa_info.subject}, SHA-256 {tsa_info.sha256_fingerprint}")
    else:
        click.echo(f"time-stamps       {tsa} (trust anchors: {archive.settings.tsa_trust})")


@keys.command(name="import")
@home_option
@click.argument("key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("cert", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("chain", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key-passphrase", is_flag=True, help="Ask for the passphrase of the KEY file being imported.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait if another sigillo process is writing.")
@click.pass_context
def keys_import(ctx: click.Context, key: Path, cert: Path, chain: Path | None, key_passphrase: bool,
                wait: float | None) -> None:
    """Install a seal key and certificate issued by a CA (e.g. for an eIDAS electronic seal).

    KEY is a PEM or DER private key (EC P-256/P-384 or RSA ≥ 2048), CERT its certificate, CHAIN the issuing
    CA's certificates (optional; CERT may also hold them after the first). The key must match the certificate
    and the chain must link it to its issuer, or nothing is changed. The key is stored with the archive's
    passphrase (SIGILLO_KEY_PASSPHRASE), mode 0600; the replaced certificate is kept, so that older
    checkpoints still verify, and the change is recorded in the audit log.

    \b
    Example:
      sigillo keys import seal.key seal.crt ca-chain.pem
    """
    from .identity import import_identity

    archive = open_archive(ctx)
    secret_in = None
    if key_passphrase:
        secret_in = click.prompt("Passphrase of the key being imported", hide_input=True).encode("utf-8")
    with archive.write_lock("keys import", wait):
        old, new = import_identity(archive.keys, key, cert, chain, passphrase_in=secret_in,
                                   passphrase_out=archive.passphrase)
        archive.audit.append("key-change", old_certificate_sha256=old.sha256_hex,
                             new_certificate_sha256=new.sha256_hex, new_subject=new.subject, new_issuer=new.issuer)
    click.echo(f"Installed {new.subject}, issued by {new.issuer} (SHA-256 {new.sha256_fingerprint}).")
    click.echo(f"The previous certificate ({old.sha256_fingerprint}) is kept so that older checkpoints verify.")


@cli.command()
@home_option
@click.option("--doc", "doc", default=None, help="Only the entries about this document (id or prefix).")
@click.option("--last", "-n", type=click.IntRange(1), default=None, help="Only the last N entries.")
@json_option
@click.pass_context
def log(ctx: click.Context, doc: str | None, last: int | None, as_json: bool) -> None:
    """The audit log: who did what, when, from where, to which documents.

    Every action is recorded (init, ingest, duplicate, refused, show, get, correct, verify, seal, timestamp,
    key-change, export) in a hash chain whose head every checkpoint commits to; `sigillo verify` checks it.

    \b
    Examples:
      sigillo log -n 20
      sigillo log --doc 3f2a9c1e --json
    """
    archive = open_archive(ctx)
    doc_id = archive.resolve(doc).id if doc else None
    entries = archive.audit.entries(doc=doc_id, last=last)
    if as_json:
        _echo_json([e.to_json() for e in entries])
        return
    if not entries:
        click.echo("No audit entries" + (" about that document." if doc else "."))
    for e in entries:
        d = e.data
        docs = d.get("docs") or []
        about = f"  {docs[0][:12]}" + (f" (+{len(docs) - 1})" if len(docs) > 1 else "") if docs else ""
        extra = {k: v for k, v in d.items()
                 if k not in ("seq", "prev", "time", "user", "host", "command", "event", "docs")}
        details = "  " + json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else ""
        click.echo(f"{e.seq:>6}  {d.get('time', '?')[:19]}Z  {d.get('user')}@{d.get('host')}  "
                   f"{d.get('event')}{about}{details}")
