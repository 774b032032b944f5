"""Helpers of the security suite (imported by its test modules)."""

from __future__ import annotations

import html
import re
import struct
import zlib

from sqlalchemy import select

HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}
FORM_EXPIRED = "Form expired"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def png() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def answer(call, *args, **kwargs) -> int | str:
    """The status of ``call(*args, **kwargs)``; an exception escaping the app (from a teardown,
    say) counts as the 500 a server would send."""
    try:
        with call(*args, **kwargs) as response:  # closed: a file it streams is released
            return response.status_code
    except Exception as exc:  # noqa: BLE001 - any escape is the finding
        return f"500 (raised {type(exc).__name__}: {str(exc).splitlines()[0][:90]})"


def is_4xx(status) -> bool:
    return isinstance(status, int) and 400 <= status < 500


def below_500(status) -> bool:
    return isinstance(status, int) and status < 500


def cheap_hashing(monkeypatch) -> None:
    """For tests that sign in many times for another purpose: after the first sign-in the
    stored hash is upgraded (needs_rehash) to these cheap parameters, so later ones are fast.
    The login flow itself is unchanged."""
    from argon2 import PasswordHasher

    from tenants import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))


def title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def snapshot(db_session, redis) -> dict:
    """Every row of every table, and every Redis key with its queued jobs: what a request that
    must change nothing has to leave as it found it."""
    from db.base import Base

    db_session.expire_all()
    rows = {table.name: sorted(repr(tuple(row)) for row in db_session.execute(select(table)))
            for table in Base.metadata.sorted_tables}
    keys = sorted(redis.keys())
    lists = {key: redis.lrange(key, 0, -1) for key in keys if redis.type(key) == b"list"}
    return {"rows": rows, "redis_keys": keys, "redis_lists": lists}


def changes(before: dict, after: dict) -> list[str]:
    """What differs between two snapshots: table names, Redis keys."""
    found = [name for name in before["rows"] if before["rows"][name] != after["rows"].get(name)]
    new_keys = set(after["redis_keys"]) - set(before["redis_keys"])  # counters may expire
    if new_keys:
        found.append(f"new redis keys {sorted(new_keys)}")
    lists = [key for key in after["redis_lists"]
             if after["redis_lists"][key] != before["redis_lists"].get(key)]
    if lists:
        found.append(f"redis lists {lists}")
    return found


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """The Set-Cookie headers of a response: name -> {attribute (lower case): value or True}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name = first.split("=", 1)[0]
        parsed: dict[str, str | bool] = {}
        for attribute in attributes:
            key, sep, value = attribute.partition("=")
            parsed[key.lower()] = value if sep else True
        cookies[name] = parsed
    return cookies
