"""`sigillo case`: one debtor's case file, or every debtor ranked by what is outstanding. Registered by ``cli.py``."""

from __future__ import annotations

from datetime import date

import click

from .cli import _echo_json, cli, home_option, json_option, open_archive
from .errors import NotFoundError


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD", param_hint="--as-of") from None


@cli.command()
@home_option
@click.argument("debtor", required=False)
@click.option("--list", "list_", is_flag=True, help="Every debtor with invoices, most outstanding first.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Compute days past due, aging and time bars as of this date (default: today).")
@click.option("--also", multiple=True, metavar="NAME",
              help="Add another debtor (a near-duplicate name the case lists) to this case (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N", help="With --list: the first N.")
@json_option
@click.pass_context
def case(ctx: click.Context, debtor: str | None, list_: bool, as_of: str | None, also: tuple[str, ...],
         limit: int | None, as_json: bool) -> None:
    """Everything about one debtor: invoices, credit notes, contracts and dunning letters, what is overdue.

    DEBTOR is a VAT id or tax code (matched whatever its spacing, with or without the country prefix) or a name
    (legal form such as S.r.l. or Ltd, accents, case and punctuation ignored). Names that are close but not equal
    are listed for you to confirm with --also; they are never merged on their own.

    \b
    For each invoice: days past due and aging bucket (not due, 1-30, 31-60, 61-90, 91-180, >180 days) as of
    --as-of; the contract it references; the date its limitation period would expire unless interrupted
    (settings [cases]: Italian defaults 10 years, 5 for periodic payments such as rent or fees; from the due
    date, restarted by the latest dunning letter that concerns it; an end on a Sunday or public holiday moves
    to the next working day). Invoices without a due date are due payment_terms_days after issue.
    Totals per currency: invoiced, credited, outstanding (= invoiced - credited: payments are not in the
    archive) and overdue.

    \b
    Examples:
      sigillo case "Rossi Costruzioni"
      sigillo case IT01234567897 --as-of 2025-03-01 --json
      sigillo case "Rossi Costruzioni" --also "Rossi Costruzione Srl"
      sigillo case --list --limit 20
    """
    from .case_list import list_debtors
    from .cases import DebtorNotFound, build_case

    when = _as_of(as_of)
    if list_ == (debtor is not None):
        raise click.UsageError("give a DEBTOR, or --list for every debtor")
    archive = open_archive(ctx)
    if list_:
        found = list_debtors(archive.catalog, archive.settings, as_of=when)
        if limit is not None:
            found = found[:limit]
        archive.audit.append("case", **{"list": True, "as_of": when.isoformat()})
        if as_json:
            _echo_json({"as_of": when.isoformat(), "debtors": [s.as_json() for s in found]})
            return
        _print_list(found, when)
        return
    assert debtor is not None
    try:
        result = build_case(archive.catalog, archive.settings, debtor, as_of=when, also=also)
    except DebtorNotFound as exc:
        close = "; close names: " + ", ".join(f'"{n}"' for n in exc.similar[:5]) if exc.similar else ""
        hint = "check the spelling, or list debtors with `sigillo case --list`"
        raise NotFoundError(f"{exc}{close}", hint=hint) from None
    archive.audit.append("case", [d.id for d in result.documents], debtor=debtor, also=list(also),
                         as_of=when.isoformat())
    if as_json:
        _echo_json(result.as_json())
        return
    _print_case(result)


def _print_case(c) -> None:  # type: ignore[no-untyped-def]
    ids = f"  ({', '.join(c.identifiers)})" if c.identifiers else ""
    click.secho(f"Case: {c.debtor}{ids}  as of {c.as_of.isoformat()}", bold=True)
    others = [n for n in c.names if n != c.debtor]
    if others:
        click.echo("Also printed as: " + "; ".join(others))
    for name, count in c.similar:
        click.secho(f'Similar name not included: {name} ({count} document{"s" if count != 1 else ""}); '
                    f'add it with --also "{name}"', fg="yellow")
    click.echo()
    click.echo(f"Documents ({len(c.documents)})")
    click.echo(f"  {'date':10}  {'type':14}  {'reference':18}  {'amount':>12}  id")
    for d in c.documents:
        ref = d.get("invoice_number") or d.get("contract_number") or ", ".join(d.values("invoice_refs")) or ""
        amount = d.get("total_amount") or d.get("amount_due") or d.get("contract_value") or ""
        when = d.when.isoformat() if d.when else "?"
        click.echo(f"  {when:10}  {d.doc_type:14}  {ref[:18]:18}  {amount:>12}  {d.id[:12]}")
    if c.invoices:
        click.echo()
        click.echo("Invoices")
        click.echo(f"  {'number':16}  {'due':10}  {'total':>12}  {'days':>5}  {'bucket':8}  {'contract':12}  "
                   "time-barred after")
        for i in c.invoices:
            due = (i.due.isoformat() + ("*" if i.due_assumed else "")) if i.due else "?"
            days = "" if i.days_past_due is None else str(i.days_past_due)
            lim = i.limitation
            barred = ""
            if lim is not None:
                barred = f"{lim.expires.isoformat()} ({lim.years} y, {lim.basis}"
                barred += f"; interrupted {lim.interrupted_on.isoformat()})" if lim.interrupted_on else ")"
                if lim.expires < c.as_of:
                    barred += "  TIME-BARRED?"
            click.echo(f"  {(i.doc.get('invoice_number') or '?')[:16]:16}  {due:11} {i.total or '':>12}  "
                       f"{days:>5}  {i.bucket or '':8}  {(i.contract or '')[:12]:12}  {barred}")
        if any(i.due_assumed for i in c.invoices):
            click.echo("  * no due date printed: issue date + payment terms (settings: payment_terms_days)")
    for currency, t in sorted(c.totals.items()):
        click.echo()
        click.echo(f"Totals ({currency}): invoiced {t.invoiced}, credited {t.credited}, outstanding "
                   f"{t.outstanding}, overdue {t.overdue}")
        click.echo("Aging:  " + "  ".join(f"{label} {t.buckets[label]} ({t.counts[label]})"
                                          for label in t.buckets))
    for note in c.notes:
        click.secho(f"Note: {note}", fg="yellow")


def _print_list(found, when: date) -> None:  # type: ignore[no-untyped-def]
    if not found:
        click.echo("No debtor with invoices in the archive.")
        return
    click.echo(f"Debtors by outstanding amount, as of {when.isoformat()}")
    click.echo(f"  {'debtor':36}  {'cur':3}  {'outstanding':>12}  {'overdue':>12}  {'oldest':>6}  invoices")
    for s in found:
        for currency, t in sorted(s.totals.items(), key=lambda kv: -kv[1].outstanding):
            oldest = "" if s.oldest_days_past_due is None or s.oldest_days_past_due <= 0 else str(
                s.oldest_days_past_due)
            click.echo(f"  {s.debtor[:36]:36}  {currency:3}  {t.outstanding!s:>12}  {t.overdue!s:>12}  "
                       f"{oldest:>6}  {s.invoices}")
