"""Operator commands: catalog sync, stored events, provisioning runs."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from billing import events, lifecycle
from billing.access import access_for
from billing.catalog_sync import sync_catalog
from billing.lifecycle import STAFF_PREFIX, Effects
from billing.processing import lock_customer
from db.base import utcnow
from db.models import ProvisioningRun, Signup, Tenant
from tenants.urls import Urls
from web.extensions import db

catalog_cli = AppGroup("catalog", help="The plan catalog.")
events_cli = AppGroup("events", help="Stored Stripe events.")
provisioning_cli = AppGroup("provisioning", help="Provisioning runs.")
tenants_cli = AppGroup("tenants", help="Tenants, for platform staff.")


@catalog_cli.command("sync")
def catalog_sync() -> None:
    """Create or update Stripe Products and Prices to match the catalog."""
    changes = sync_catalog(current_app.extensions["stripe"], current_app.extensions["catalog"])
    for change in changes:
        click.echo(change)
    click.echo(f"catalog: {len(changes)} change(s)")


@events_cli.command("sweep")
def events_sweep() -> None:
    """Enqueue every stored event that was never processed."""
    from worker.jobs.billing import enqueue_event

    pending = events.unprocessed(db.session)
    for event_id in pending:
        enqueue_event(current_app.extensions["queues"], event_id)
    click.echo(f"events: {len(pending)} enqueued")


@events_cli.command("failed")
def events_failed() -> None:
    """List events whose processing failed after the last retry."""
    for event in events.failed(db.session):
        click.echo(f"{event.id}  {event.type}  attempts={event.attempts}  {event.last_error}")


@events_cli.command("retry")
@click.argument("event_id")
def events_retry(event_id: str) -> None:
    """Process a failed event again."""
    from worker.jobs.billing import enqueue_event

    if not events.reset_failure(db.session, event_id):
        raise click.ClickException(f"no unprocessed event {event_id}")
    db.session.commit()
    enqueue_event(current_app.extensions["queues"], event_id)
    click.echo(f"events: {event_id} enqueued")


@provisioning_cli.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "succeeded", "failed"]))
def provisioning_list(status: str | None) -> None:
    query = select(ProvisioningRun, Signup).join(Signup).order_by(ProvisioningRun.id)
    if status:
        query = query.where(ProvisioningRun.status == status)
    for run, signup in db.session.execute(query):
        click.echo(f"{signup.id}  {signup.subdomain}  {run.status}  attempts={run.attempts}"
                   f"  {run.error or ''}")


@provisioning_cli.command("retry")
@click.argument("signup_id")
def provisioning_retry(signup_id: str) -> None:
    """Run a failed provisioning again (completed steps are skipped)."""
    from worker.jobs.provisioning import enqueue_provisioning

    run = db.session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id))
    if run is None:
        raise click.ClickException(f"no provisioning run for signup {signup_id}")
    run.status = "queued"
    db.session.commit()
    enqueue_provisioning(current_app.extensions["queues"], signup_id)
    click.echo(f"provisioning: {signup_id} enqueued")


def _tenant(subdomain: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
    if tenant is None:
        raise click.ClickException(f"no tenant {subdomain}")
    if tenant.stripe_customer_id:
        lock_customer(db.session, tenant.stripe_customer_id)
    db.session.refresh(tenant, with_for_update=True)
    return tenant


def _deliver(effects: Effects) -> None:
    from worker.jobs.mail import enqueue_delivery

    for key in effects.mail_keys:
        enqueue_delivery(current_app.extensions["queues"], key)


@tenants_cli.command("list")
def tenants_list() -> None:
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        click.echo(f"{tenant.subdomain}  {tenant.plan_id}/{tenant.interval}  {tenant.status}  "
                   f"{tenant.billing_state}  {access_for(tenant).value}")


@tenants_cli.command("suspend")
@click.argument("subdomain")
@click.option("--reason", required=True, help="Recorded in the tenant's history.")
@click.option("--actor", default=lambda: os.environ.get("USER", "staff"), show_default="$USER")
def tenants_suspend(subdomain: str, reason: str, actor: str) -> None:
    """Suspend a tenant by hand (read-only portal, suspension page; nothing deleted)."""
    tenant, effects = _tenant(subdomain), Effects()
    urls = Urls.from_config(current_app.config)
    if not lifecycle.suspend(db.session, urls, tenant, STAFF_PREFIX + reason, effects, actor=actor):
        raise click.ClickException(f"{subdomain} is {tenant.billing_state}; not suspended")
    db.session.commit()
    _deliver(effects)
    click.echo(f"tenants: {subdomain} suspended ({reason})")


@tenants_cli.command("reactivate")
@click.argument("subdomain")
@click.option("--reason", required=True, help="Recorded in the tenant's history.")
@click.option("--actor", default=lambda: os.environ.get("USER", "staff"), show_default="$USER")
def tenants_reactivate(subdomain: str, reason: str, actor: str) -> None:
    """Restore a suspended or past-due tenant by hand."""
    tenant, effects = _tenant(subdomain), Effects()
    urls = Urls.from_config(current_app.config)
    if not lifecycle.reactivate(db.session, urls, tenant, reason, effects,
                                occurrence=f"staff-{utcnow().isoformat()}", actor=actor):
        raise click.ClickException(f"{subdomain} is {tenant.billing_state}; nothing to reactivate")
    db.session.commit()
    _deliver(effects)
    click.echo(f"tenants: {subdomain} reactivated ({reason})")


COMMANDS = (catalog_cli, events_cli, provisioning_cli, tenants_cli)
