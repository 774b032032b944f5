"""``contyzr health``: tenant sites' health and uptime, for platform staff."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from db.models import SiteHealth, SiteStatus, Tenant
from monitoring import uptime
from web.extensions import db

health_cli = AppGroup("health", help="Tenant sites' health checks and uptime.")


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "never"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{int(value * 100) / 100:.2f}%"


@health_cli.command("list")
@click.option("--status", type=click.Choice([status.value for status in SiteStatus]))
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000))
def health_list(status: str | None, limit: int) -> None:
    """Live tenant sites, worst first: status, since when, last check, 24 h uptime, reason."""
    query = (select(SiteHealth, Tenant.subdomain).join(Tenant, Tenant.id == SiteHealth.tenant_id)
             .order_by(SiteHealth.status == SiteStatus.HEALTHY,
                       SiteHealth.status == SiteStatus.UNKNOWN,
                       SiteHealth.status == SiteStatus.WARNING, Tenant.subdomain).limit(limit))
    if status:
        query = query.where(SiteHealth.status == status)
    rows = db.session.execute(query).all()
    day = uptime.uptime_many(db.session, [health.tenant_id for health, _ in rows], 24)
    for health, subdomain in rows:
        ms = f"{health.response_ms} ms" if health.response_ms is not None else "-"
        click.echo(f"{subdomain}  {health.status}  since={_when(health.status_since)}  "
                   f"checked={_when(health.checked_at)}  {ms}  "
                   f"24h={_percent(day[health.tenant_id])}  {health.reason or ''}".rstrip())
    counts = uptime.status_counts(db.session)
    click.echo("health: " + ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in SiteStatus))


@health_cli.command("show")
@click.argument("subdomain")
def health_show(subdomain: str) -> None:
    """One tenant's site: status, uptime over 24 hours, 7 and 30 days, its recent checks."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.subdomain == subdomain.lower()))
    if tenant is None:
        raise click.ClickException(f"no tenant {subdomain}")
    found = uptime.summary(db.session, tenant.id)
    health = found.health
    if health is None:
        click.echo(f"{subdomain}  unknown  not checked (billing {tenant.billing_state}, "
                   f"{tenant.provisioning_state})")
    else:
        click.echo(f"{subdomain}  {health.status}  since={_when(health.status_since)}  "
                   f"checked={_when(health.checked_at)}  next={_when(health.next_check_at)}  "
                   f"failures_in_a_row={health.failures_in_a_row}  {health.reason or ''}".rstrip())
    click.echo("uptime: " + "  ".join(f"{label}={_percent(found.uptime[hours])}" for hours, label
                                      in zip(uptime.WINDOWS, ("24h", "7d", "30d"), strict=True)))
    for check in uptime.recent_checks(db.session, tenant.id):
        ms = f"{check.response_ms} ms" if check.response_ms is not None else "-"
        click.echo(f"  {check.checked_at:%Y-%m-%d %H:%M:%S}  {check.status}  {ms}  "
                   f"{check.reason or ''}".rstrip())
