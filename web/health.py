"""GET /healthz: the state of the database and Redis."""

from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.extensions import db
from worker.services import services

bp = Blueprint("health", __name__)


def _check_database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError:
        return "down"


def _check_redis() -> str:
    try:
        services().redis.ping()
        return "ok"
    except RedisError:
        return "down"


@bp.get("/healthz")
def healthz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "down", "checks": checks}
    if down:
        body["down"] = down
    return jsonify(body), 503 if down else 200


@bp.get("/livez")
def livez():
    """Liveness: the process answers (no database or Redis involved)."""
    return "ok\n", 200, {"Content-Type": "text/plain"}
