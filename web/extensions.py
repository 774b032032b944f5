"""Extensions, created unbound here and bound to an app in ``create_app`` with ``init_app``."""

from __future__ import annotations

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tenants.scope import release_tenant
from worker.services import DatabaseState, services


class Database:
    """The app's engine and session factory (``services().database``); one session per app
    context (request or job)."""

    def init_app(self, app: Flask) -> None:
        app.teardown_appcontext(self._close_session)

    @property
    def state(self) -> DatabaseState:
        return services().database

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return self.state.sessionmaker

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    def _close_session(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            try:
                release_tenant(session)
            except SQLAlchemyError:
                pass  # a failed transaction: closing the session rolls it back anyway
            finally:
                session.close()


db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
