"""Operator commands: catalog sync, stored events, provisioning runs."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from billing import events
from billing.catalog_sync import sync_catalog
from db.models import Tenant
from db.models.provisioning import RunStatus
from db.refusals import Refused
from plans.access import access_for
from staff import audit, repairs
from tenants.provisioning_repair import RunLine, runs_for_staff
from web.alert_commands import alerts_cli
from web.extensions import db
from web.health_commands import health_cli
from web.i18n import translated
from web.staff_commands import staff_cli
from worker.services import services

catalog_cli = AppGroup("catalog", help="The plan catalog.")
events_cli = AppGroup("events", help="Stored Stripe events.")
provisioning_cli = AppGroup("provisioning", help="Provisioning runs.")
tenants_cli = AppGroup("tenants", help="Tenants, for platform staff.")
mail_cli = AppGroup("mail", help="Queued mails (the outbox).")
domains_cli = AppGroup("domains", help="Tenants' own domains and their DNS checks.")


@catalog_cli.command("sync")
def catalog_sync() -> None:
    """Create or update Stripe Products and Prices to match the catalog."""
    changes = sync_catalog(services().stripe, services().catalog)
    for change in changes:
        click.echo(change)
    click.echo(f"catalog: {len(changes)} change(s)")


@events_cli.command("sweep")
def events_sweep() -> None:
    """Enqueue every stored event neither processed nor failed, even one waiting for its
    next attempt."""
    from worker.jobs.billing import enqueue_event

    pending = events.unprocessed(db.session)
    for event_id in pending:
        enqueue_event(services().queues, event_id)
    click.echo(f"events: {len(pending)} enqueued")


@events_cli.command("failed")
def events_failed() -> None:
    """List events given up on (attempts used up, or they cannot be handled), with the reason."""
    failed = events.failed(db.session)
    for event in failed:
        click.echo(f"{event.id}  {event.type}  attempts={event.attempts}  "
                   f"failed={event.failed_at:%Y-%m-%d %H:%M}  {event.last_error}")
    click.echo(f"events: {len(failed)} failed")


@events_cli.command("retry")
@click.argument("event_id")
def events_retry(event_id: str) -> None:
    """Process a failed event again, with a fresh budget of attempts."""
    from worker.jobs.billing import enqueue_event

    try:
        repairs.reprocess_event(db.session, event_id)
    except Refused:
        raise click.ClickException(f"no unprocessed event {event_id}") from None
    audit.record(db.session, None, "reprocess_event", email=f"command line ({_actor()})",
                 event=event_id)
    db.session.commit()
    enqueue_event(services().queues, event_id)
    click.echo(f"events: {event_id} enqueued")


def _run_line(line: RunLine) -> str:
    failure = f"  failed at {line.failed_step}: {line.error}" if line.status == RunStatus.FAILED else (
        f"  last error: {line.error}" if line.error else "")
    return (f"{line.signup_id}  {line.subdomain}  {line.email}  {line.status}  "
            f"attempts={line.attempts}{failure}")


@provisioning_cli.command("list")
@click.option("--status", type=click.Choice([status.value for status in RunStatus]))
def provisioning_list(status: str | None) -> None:
    """Provisioning runs, failed ones first with the failed step and the reason."""
    for line in runs_for_staff(db.session, status):
        click.echo(_run_line(line))


@provisioning_cli.command("failed")
def provisioning_failed() -> None:
    """Runs that failed after the customer paid: each needs `provisioning retry`."""
    lines = runs_for_staff(db.session, RunStatus.FAILED)
    for line in lines:
        click.echo(_run_line(line))
    click.echo(f"provisioning: {len(lines)} failed")


@provisioning_cli.command("retry")
@click.argument("signup_id")
@click.option("--email", help="Give the owner this address (the old one is taken or refused).")
@click.option("--subdomain", help="Give the site this name (the paid-for one is held by "
                                  "another signup).")
@click.option("--template", help="Seed the site from this template (the chosen one left the "
                                 "plan).")
def provisioning_retry(signup_id: str, email: str | None, subdomain: str | None,
                       template: str | None) -> None:
    """Finish a failed provisioning run once its cause is fixed (completed steps are kept)."""
    from worker.jobs.provisioning import enqueue_provisioning

    try:
        changes = repairs.retry_provisioning(db.session, services().catalog, signup_id,
                                             email=email, subdomain=subdomain,
                                             template=template).said
    except Refused as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    audit.record(db.session, None, "retry_provisioning", email=f"command line ({_actor()})",
                 signup=signup_id, said=changes)
    db.session.commit()
    enqueue_provisioning(services().queues, signup_id)
    for change in changes:
        click.echo(f"provisioning: {signup_id}: {change}")
    click.echo(f"provisioning: {signup_id} enqueued")


def _tenant(subdomain: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
    if tenant is None:
        raise click.ClickException(f"no tenant {subdomain}")
    return tenant


def _deliver(mail_keys: list[str]) -> None:
    from worker.jobs.mail import enqueue_delivery

    for key in mail_keys:
        enqueue_delivery(services().queues, key)


@tenants_cli.command("list")
def tenants_list() -> None:
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        click.echo(f"{tenant.subdomain}  {tenant.plan_id}/{tenant.interval}  {tenant.provisioning_state}  "
                   f"{tenant.billing_state}  {access_for(tenant).value}")


def _repaired(change, done: str) -> None:
    """Make a repair (``staff.repairs``, the back office's rules too), commit, enqueue."""
    try:
        after = change()
    except Refused as exc:
        db.session.rollback()
        raise click.ClickException(str(translated(exc.message))) from None
    audit.record(db.session, None, done.split(":")[0], email=f"command line ({_actor()})",
                 said=after.said)
    db.session.commit()
    _deliver(after.mail_keys)
    click.echo(done)


def _actor() -> str:
    return os.environ.get("USER", "staff")


@tenants_cli.command("suspend")
@click.argument("subdomain")
@click.option("--reason", required=True, help="Recorded in the tenant's history.")
@click.option("--actor", default=_actor, show_default="$USER")
def tenants_suspend(subdomain: str, reason: str, actor: str) -> None:
    """Suspend a tenant by hand (read-only portal, suspension page; nothing deleted)."""
    tenant = _tenant(subdomain)
    _repaired(lambda: repairs.suspend(db.session, services().urls, tenant, reason, actor),
              f"tenants: {subdomain} suspended ({reason})")


@tenants_cli.command("reactivate")
@click.argument("subdomain")
@click.option("--reason", required=True, help="Recorded in the tenant's history.")
@click.option("--actor", default=_actor, show_default="$USER")
def tenants_reactivate(subdomain: str, reason: str, actor: str) -> None:
    """Restore a suspended or past-due tenant by hand."""
    tenant = _tenant(subdomain)
    _repaired(lambda: repairs.reactivate(db.session, services().urls, tenant, reason, actor),
              f"tenants: {subdomain} reactivated ({reason})")


@mail_cli.command("failed")
def mail_failed() -> None:
    """List queued mails given up on (refused, or attempts used up), with the reason."""
    from emails import outbox

    failed = outbox.failed(db.session)
    for row in failed:
        click.echo(f"{row.idempotency_key}  {row.kind}  {row.to_address}  "
                   f"attempts={row.attempts}  {row.last_error}")
    click.echo(f"mail: {len(failed)} failed")


@mail_cli.command("retry")
@click.argument("key")
def mail_retry(key: str) -> None:
    """Queue a failed mail again with a fresh budget of attempts (after fixing the cause)."""
    from emails import outbox
    from worker.jobs.mail import enqueue_delivery

    if not outbox.requeue(db.session, key):
        raise click.ClickException(f"no failed queued mail with key {key}")
    db.session.commit()
    enqueue_delivery(services().queues, key)
    click.echo(f"mail: {key} queued again")


def _domain_line(domain, subdomain: str) -> str:
    checked = f"{domain.last_checked_at:%Y-%m-%d %H:%M}" if domain.last_checked_at else "never"
    return (f"{domain.name}  {subdomain}  {domain.status}  checked={checked}  "
            f"next={domain.next_check_at:%Y-%m-%d %H:%M}  {domain.detail or ''}")


@domains_cli.command("list")
def domains_list() -> None:
    """Every tenant's domain: its tenant, status, last check and what the check found."""
    from tenants.domain_checks import for_staff

    rows = for_staff(db.session)
    for domain, subdomain in rows:
        click.echo(_domain_line(domain, subdomain))
    click.echo(f"domains: {len(rows)}")


@domains_cli.command("check")
@click.argument("name")
def domains_check(name: str) -> None:
    """Check every claim of NAME by DNS now and show the result."""
    from tenants.domain_checks import for_staff
    from tenants.domains import normalise
    from worker.jobs.domains import check_domain

    claims = [(domain.id, domain.name, subdomain)
              for domain, subdomain in for_staff(db.session, normalise(name))]
    db.session.rollback()  # the checks lock and commit the rows in their own sessions
    if not claims:
        raise click.ClickException(f"no tenant has added {name}")
    for domain_id, domain_name, subdomain in claims:
        if check_domain(domain_id) is None:
            click.echo(f"{domain_name}  {subdomain}  not checked: DNS did not answer, or a "
                       "sweep is checking it right now")
    db.session.rollback()  # read what the checks committed
    for domain, subdomain in for_staff(db.session, normalise(name)):
        click.echo(_domain_line(domain, subdomain))


COMMANDS = (catalog_cli, events_cli, provisioning_cli, tenants_cli, mail_cli, domains_cli,
            staff_cli, alerts_cli, health_cli)
