"""Operator commands: catalog sync, stored events, provisioning runs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from billing import events
from billing.catalog_sync import sync_catalog
from db.models import ProvisioningRun, Signup
from web.extensions import db

catalog_cli = AppGroup("catalog", help="The plan catalog.")
events_cli = AppGroup("events", help="Stored Stripe events.")
provisioning_cli = AppGroup("provisioning", help="Provisioning runs.")


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


COMMANDS = (catalog_cli, events_cli, provisioning_cli)
