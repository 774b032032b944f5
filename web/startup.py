"""Start-up checks: reach the database and Redis, or stop with one clear line."""

from __future__ import annotations

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.config import ConfigError
from worker.services import services


def verify_services(app: Flask) -> None:
    try:
        with services(app).database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ConfigError(f"cannot reach the database at DATABASE_URL: {reason}") from None
    try:
        services(app).redis.ping()
    except RedisError as exc:
        raise ConfigError(f"cannot reach Redis at REDIS_URL: {exc}") from None
