"""``contyzr alerts``: the alert rules' incidents (``monitoring.alerts``), for staff."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from monitoring import incidents
from web.extensions import db

alerts_cli = AppGroup("alerts", help="Alert rules and their incidents.")


def _line(incident, resolved: bool) -> str:
    until = (f"resolved={incident.resolved_at:%Y-%m-%d %H:%M}" if resolved
             else f"seen={incident.last_seen_at:%Y-%m-%d %H:%M}")
    return (f"#{incident.id}  {incident.rule}  {incident.subject}  "
            f"opened={incident.opened_at:%Y-%m-%d %H:%M}  {until}  {incident.summary}")


@alerts_cli.command("list")
def alerts_list() -> None:
    """Open incidents (newest first), then those resolved in the last week."""
    opened, resolved = incidents.open_incidents(db.session), incidents.recently_resolved(db.session)
    for incident in opened:
        click.echo(_line(incident, False))
    click.echo(f"alerts: {len(opened)} open")
    for incident in resolved:
        click.echo(_line(incident, True))
    click.echo(f"alerts: {len(resolved)} resolved in the last {incidents.RESOLVED_DAYS} days")


@alerts_cli.command("check")
def alerts_check() -> None:
    """Evaluate every rule now (as the minutely job does) and tell staff what changed."""
    from worker.jobs.alerts import evaluate_alerts

    db.session.rollback()  # the job works in its own session
    changed = evaluate_alerts()
    click.echo(f"alerts: {len(changed['opened'])} opened, {len(changed['resolved'])} resolved, "
               f"{changed['firing']} still firing")
    for rule in changed["failed_rules"]:
        click.echo(f"alerts: rule {rule} failed (see the log); its incidents are unchanged")
