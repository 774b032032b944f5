"""The ``contyzr`` command: Flask's CLI with the storefront's own commands.

Start-up errors (configuration, catalog, unreachable services) end in one clear line on
stderr and a non-zero exit, not a traceback.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from plans.catalog import CatalogError
from web.config import ConfigError

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current schema (Alembic upgrade head)."""
    from db.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database: schema is current")


def register_commands(app: Flask) -> None:
    from web.commands import COMMANDS
    from worker.cli import cron_command, worker_command

    app.cli.add_command(db_cli)
    for group in COMMANDS:
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)


def _create_app():
    from web import create_app
    from web.startup import verify_services

    app = create_app()
    verify_services(app)
    return app


class StorefrontGroup(FlaskGroup):
    def main(self, *args, **kwargs):
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except (ConfigError, CatalogError) as exc:
            click.echo(f"contyzr: {exc}", err=True)
            sys.exit(2)
        except click.exceptions.Abort:
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)


def main() -> None:
    StorefrontGroup(create_app=_create_app, add_version_option=False,
                    help="The Contyzr storefront.").main(prog_name="contyzr")
