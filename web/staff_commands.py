"""``contyzr staff``: the back office's accounts, made from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from db.models import StaffRole
from db.refusals import Refused
from staff import accounts, audit
from web.extensions import db
from web.i18n import translated
from worker.services import services

staff_cli = AppGroup("staff", help="Back office accounts (the agency's staff).")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.password_option(help="Asked for when not given.")
def staff_create(email: str, role: str, password: str) -> None:
    """Make a staff account; its second factor is set up at the first sign-in at /admin."""
    try:
        staff = accounts.create(db.session, email, role, password)
    except Refused as refused:
        db.session.rollback()
        raise click.ClickException(str(translated(refused.message))) from None
    audit.record(db.session, None, "staff_create", email="command line",
                 created=staff.email, role=role)
    db.session.commit()
    click.echo(f"staff account {staff.email} ({role}): sign in at "
               f"{services().urls.public_url}/admin/login to set up the second factor")
