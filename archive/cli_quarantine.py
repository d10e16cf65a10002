"""The `sigillo` commands about failed and interrupted work: quarantine list/retry, doctor. Registered by ``cli.py``."""

from __future__ import annotations

import click

from .cli import _echo_json, cli, home_option, json_option, open_archive
from .cli_options import worker_count, workers_option
from .errors import ExitCode, NotFoundError

_WAIT_HELP = "How long to wait if another sigillo process is writing."


@cli.group()
def quarantine() -> None:
    """Files a batch could not ingest: each is copied (never moved) into the archive's quarantine/ with its reason.

    \b
    Examples:
      sigillo quarantine list
      sigillo quarantine retry --all
    """


@quarantine.command(name="list")
@home_option
@json_option
@click.pass_context
def quarantine_list(ctx: click.Context, as_json: bool) -> None:
    """The quarantined files: id, path as given, reason, when it last failed, attempts.

    \b
    Examples:
      sigillo quarantine list
      sigillo quarantine list --json
    """
    from .quarantine import entries

    archive = open_archive(ctx)
    found = list(entries(archive.layout.quarantine))
    if as_json:
        _echo_json([e.as_json() for e in found])
        return
    if not found:
        click.echo("The quarantine is empty.")
        return
    for e in found:
        i = e.info
        attempts = int(i.get("attempts", 1))
        click.echo(f"{e.id[:12]}  {str(i.get('time', '?'))[:19]}Z  {attempts} attempt{'s' if attempts != 1 else ''}"
                   f"  {i.get('path', e.file.name)}")
        click.echo(f"              {i.get('reason', '?')}")
    click.echo(f"{len(found)} file{'s' if len(found) != 1 else ''} in quarantine ({archive.layout.quarantine}).")


@quarantine.command(name="retry")
@home_option
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Retry every quarantined file.")
@click.option("--wait", type=float, default=None, metavar="SECONDS", help=_WAIT_HELP)
@workers_option
@json_option
@click.pass_context
def quarantine_retry(ctx: click.Context, ids: tuple[str, ...], all_: bool, wait: float | None,
                     workers: int | None, as_json: bool) -> None:
    """Ingest quarantined files again (e.g. after raising max_pages or installing a language).

    Those now ingested (or found to be duplicates) leave the quarantine; those that fail again stay, with their
    attempts counted and the new reason. Exit code 1 when any still fails.

    \b
    Examples:
      sigillo quarantine retry --all
      sigillo quarantine retry 3f2a9c1e 77b0d2aa --json
      sigillo quarantine retry --all --workers 1     # in this process, one file after the other
    """
    from .pipeline import display_path, ingest_paths
    from .quarantine import entries, remove

    if bool(ids) == all_:
        raise click.UsageError("give quarantine ids (see `sigillo quarantine list`) or --all")
    archive = open_archive(ctx)
    with archive.write_lock("quarantine retry", wait):
        found = list(entries(archive.layout.quarantine))
        chosen = found
        if ids:
            chosen = []
            for prefix in ids:
                match = [e for e in found if e.id.startswith(prefix.lower())]
                if len(match) != 1:
                    raise NotFoundError(
                        f"{'no' if not match else 'more than one'} quarantined file with id {prefix!r}",
                        hint="list them with `sigillo quarantine list`" if not match else "give more characters",
                    )
                chosen += [m for m in match if m not in chosen]
        if not chosen:
            if as_json:
                _echo_json({"retried": 0, "ingested": 0, "failed": 0, "results": []})
            else:
                click.echo("The quarantine is empty.")
            return
        by_path = {display_path(e.file): e for e in chosen}
        summary = ingest_paths(archive, [e.file for e in chosen], command="quarantine retry",
                               workers=worker_count(workers))
        results = []
        for o in summary.outcomes:
            entry = by_path.get(o.path)
            if entry is None:
                continue
            ok = o.status in ("new", "duplicate")
            if ok:
                remove(entry)
                archive.audit.append("quarantine-release", [o.sha256] if o.sha256 else [],
                                     file=entry.info.get("path"), sha256=entry.id, status=o.status)
            results.append({"id": entry.id, "path": entry.info.get("path"), "status": o.status,
                            "reason": o.reason, "left_quarantine": ok})
    ingested = sum(r["left_quarantine"] for r in results)
    failed = len(results) - ingested
    if as_json:
        _echo_json({"retried": len(results), "ingested": ingested, "failed": failed, "results": results})
    else:
        for r in results:
            if r["left_quarantine"]:
                click.echo(f"{r['status']:<10} {r['id'][:12]}  {r['path']}  (left the quarantine)")
            else:
                click.secho(f"failed     {r['id'][:12]}  {r['path']}: {r['reason']}", fg="red")
        click.echo(f"{len(results)} retried: {ingested} ingested, {failed} still in quarantine.")
    if summary.seal_warning:
        click.secho(f"Warning: {summary.seal_warning}", fg="yellow", err=True)
    if failed:
        ctx.exit(ExitCode.FAILURES)


@cli.command()
@home_option
@click.option("--repair", is_flag=True, help="Fix what is found (under the write lock) and say what was done.")
@click.option("--wait", type=float, default=None, metavar="SECONDS", help=_WAIT_HELP)
@workers_option
@json_option
@click.pass_context
def doctor(ctx: click.Context, repair: bool, wait: float | None, workers: int | None, as_json: bool) -> None:
    """Find what an interrupted run left behind, and with --repair fix it.

    Looks for: batches left 'running' by a dead process, temporary files in tmp/, seals/<n>/ folders no
    checkpoint refers to, stored originals with no catalog row (repair reads them, in --workers processes, and
    catalogues them; an original is never deleted), documents missing from the search index or an index that
    disagrees with the catalog (repair rebuilds it), a debtor table (what `case` reads) that disagrees with the
    fields and corrections it is derived from (repair recomputes it), documents not sealed and checkpoints whose
    timestamp is pending (a TSA that cannot be reached is reported, not fatal).
    Without --repair nothing is changed: exit code 1 if anything is found, 0 if the archive is clean. With
    --repair: 0 when everything was fixed, 1 if something could not be (each is named).

    \b
    Examples:
      sigillo doctor
      sigillo doctor --repair
      sigillo doctor --repair --json
      sigillo doctor --repair --workers 2
    """
    from .doctor import diagnose
    from .doctor import repair as do_repair

    archive = open_archive(ctx)
    with archive.write_lock("doctor", wait):
        report = do_repair(archive, workers=worker_count(workers)) if repair else diagnose(archive)
    bad = report.unrepaired if repair else report.findings
    if as_json:
        _echo_json({"clean": report.clean, "repair": repair, "findings": [f.as_json() for f in report.findings],
                    "unrepaired": len(bad)})
    else:
        if report.clean:
            click.echo("Nothing to repair: the archive is consistent.")
        for f in report.findings:
            line = f"{f.kind:<12} {f.subject}: {f.detail}"
            if f.repaired is not None:
                click.echo(f"{line}  -> {f.repaired}")
            elif repair:
                click.secho(f"{line}  -> NOT repaired: {f.problem or 'unknown'}", fg="red")
            else:
                click.secho(line, fg="yellow")
        if report.findings:
            if repair:
                click.echo(f"{len(report.findings) - len(bad)} repaired, {len(bad)} not repaired.")
            else:
                click.echo(f"{len(bad)} problem{'s' if len(bad) != 1 else ''} found: run `sigillo doctor --repair`.")
    if bad:
        ctx.exit(ExitCode.FAILURES)
