"""The DNS record endpoints of Cloudflare's v4 API, in its envelope and record shape.

Every request first goes through injected trouble (``/_test/failures``, ``/_test/stall``), then
authentication (``Authorization: Bearer <token>``, one of the state's tokens), then the zone.
Errors carry Cloudflare's codes and messages where they are known from its API and docs.
"""

from __future__ import annotations

import ipaddress
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .state import CloudflareState

api = Blueprint("cloudflare_api", __name__, url_prefix="/client/v4")

PROXIABLE = ("A", "AAAA", "CNAME")
TYPES = ("A", "AAAA", "CNAME", "TXT")  # what this fake stores; Cloudflare knows more
ADDRESS_OR_ALIAS = ("A", "AAAA", "CNAME")
_ZONE_ID = re.compile(r"[0-9a-f]{32}")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_INJECTED = {
    429: (971, "Please wait and consider throttling your request speed"),
    500: (10002, "An unknown error has occurred"),
    502: (10002, "Bad gateway"),
    503: (10002, "Service temporarily unavailable"),
}
INJECTABLE_STATUSES = tuple(sorted(_INJECTED))


class CloudflareError(Exception):
    def __init__(self, status: int, *errors: tuple[int, str], chain: list | None = None):
        super().__init__(errors[0][1])
        self.status, self.errors, self.chain = status, errors, chain


def envelope(result: Any = None, status: int = 200, errors: list | None = None,
             result_info: dict | None = None) -> Response:
    body: dict[str, Any] = {"success": not errors, "errors": errors or [], "messages": [],
                            "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    response = jsonify(body)
    response.status_code = status
    return response


def error_response(error: CloudflareError) -> Response:
    errors = [{"code": code, "message": message} for code, message in error.errors]
    if error.chain:
        errors[0]["error_chain"] = [{"code": code, "message": message}
                                    for code, message in error.chain]
    response = envelope(None, error.status, errors)
    if error.status == 429:
        response.headers["Retry-After"] = "1"
    return response


def fake_state() -> CloudflareState:
    return current_app.extensions["cloudflare_fake"]


@api.errorhandler(CloudflareError)
def _cloudflare_error(error: CloudflareError) -> Response:
    return error_response(error)


@api.before_request
def _trouble_then_authenticate() -> None:
    state = fake_state()
    status, seconds = state.trouble(request.method, request.full_path.rstrip("?"))
    if seconds:
        time.sleep(seconds)
    if status is not None:
        raise CloudflareError(status, _INJECTED[status])
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CloudflareError(400, (6003, "Invalid request headers"),
                              chain=[(6111, "Invalid format for Authorization header")])
    if token.strip() not in state.tokens:
        raise CloudflareError(403, (10000, "Authentication error"))


def _zone(zone_id: str) -> str:
    name = fake_state().zone_name(zone_id)
    if name is not None:
        return name
    if not _ZONE_ID.fullmatch(zone_id):
        raise CloudflareError(400, (7003, f"Could not route to /zones/{zone_id}/dns_records, "
                                          "perhaps your object identifier is invalid?"),
                              (7000, "No route for that URI"))
    raise CloudflareError(403, (10000, "Authentication error"))  # not a zone this token sees


def _full_name(name: Any, zone: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise CloudflareError(400, (9005, "DNS record name is required."))
    name = name.strip().rstrip(".").lower()
    if name in ("@", zone):
        return zone
    if not name.endswith("." + zone):
        name = f"{name}.{zone}"
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise CloudflareError(400, (9005, "DNS name is invalid."))
    return name


def _checked(body: Any, zone: str) -> dict[str, Any]:
    """A record as Cloudflare stores it, from a create or full-update body."""
    if not isinstance(body, dict):
        raise CloudflareError(400, (9207, "Request body is invalid."))
    kind = body.get("type")
    if kind not in TYPES:
        raise CloudflareError(400, (9000, "DNS record type is invalid."))
    name = _full_name(body.get("name"), zone)
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise CloudflareError(400, (9008, "DNS record content is required."))
    content = content.strip()
    if kind in ("A", "AAAA"):
        try:
            address = ipaddress.ip_address(content)
        except ValueError:
            address = None
        if address is None or address.version != (4 if kind == "A" else 6):
            raise CloudflareError(400, (9005, f"Content for {kind} record must be a valid "
                                              f"IPv{4 if kind == 'A' else 6} address."))
    if kind == "CNAME":
        content = content.rstrip(".").lower()
        if content == name:
            raise CloudflareError(400, (9007, "Content for CNAME record is invalid."))
    ttl = body.get("ttl", 1)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not (ttl == 1 or 60 <= ttl <= 86400):
        raise CloudflareError(400, (9021, "Invalid TTL. Must be between 60 and 86400 seconds, "
                                          "or 1 for Automatic."))
    proxied = body.get("proxied", False)
    if not isinstance(proxied, bool):
        raise CloudflareError(400, (9003, "Invalid 'proxied' value, must be a boolean."))
    if proxied and kind not in PROXIABLE:
        raise CloudflareError(400, (9004, "This record type cannot be proxied."))
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 100):
        raise CloudflareError(400, (9100, "DNS record comment is invalid or longer than "
                                          "100 characters."))
    tags = body.get("tags") or []
    return {"name": name, "type": kind, "content": content, "proxiable": kind in PROXIABLE,
            "proxied": proxied, "ttl": 1 if proxied else ttl, "settings": body.get("settings") or {},
            "meta": {}, "comment": comment or None, "tags": list(tags)}


def _no_clash(zone_id: str, record: dict[str, Any], own_id: str | None = None) -> None:
    for other in fake_state().records(zone_id):
        if other["id"] == own_id or other["name"] != record["name"]:
            continue
        if (other["type"], other["content"]) == (record["type"], record["content"]):
            raise CloudflareError(400, (81058, "An identical record already exists."))
        if "CNAME" in (other["type"], record["type"]) and other["type"] in ADDRESS_OR_ALIAS \
                and record["type"] in ADDRESS_OR_ALIAS:
            raise CloudflareError(400, (81053, "An A, AAAA, or CNAME record with that host "
                                               "already exists."))


def _existing(zone_id: str, record_id: str) -> dict[str, Any]:
    record = fake_state().get(zone_id, record_id)
    if record is None:
        raise CloudflareError(404, (81044, "Record does not exist."))
    return record


def _matches(record: dict[str, Any], field: str, zone: str) -> bool:
    """Cloudflare's list filters: ``name=<exact>`` and ``name.exact=`` (also for content)."""
    wanted = request.args.get(f"{field}.exact", request.args.get(field))
    if wanted is None:
        return True
    wanted = wanted.strip().rstrip(".").lower()
    if field == "name" and wanted != zone and not wanted.endswith("." + zone):
        wanted = f"{wanted}.{zone}"
    return record[field].lower() == wanted


def _positive(name: str, default: int) -> int:
    value = request.args.get(name, str(default))
    try:
        number = int(float(value))
    except ValueError:
        number = 0
    if number < 1:
        raise CloudflareError(400, (1004, f"Invalid '{name}' parameter."))
    return number


@api.get("/zones/<zone_id>/dns_records")
def list_records(zone_id: str) -> Response:
    zone = _zone(zone_id)
    kind = request.args.get("type")
    found = [record for record in fake_state().records(zone_id)
             if (kind is None or record["type"] == kind) and _matches(record, "name", zone)
             and _matches(record, "content", zone)]
    found.sort(key=lambda record: (record["type"], record["name"], record["content"]))
    page, per_page = _positive("page", 1), min(_positive("per_page", 100), 5_000_000)
    shown = found[(page - 1) * per_page:page * per_page]
    return envelope(shown, result_info={
        "page": page, "per_page": per_page, "count": len(shown), "total_count": len(found),
        "total_pages": max(1, -(-len(found) // per_page))})


@api.post("/zones/<zone_id>/dns_records")
def create_record(zone_id: str) -> Response:
    record = _checked(request.get_json(silent=True), _zone(zone_id))
    _no_clash(zone_id, record)
    return envelope(fake_state().put(zone_id, record))


@api.get("/zones/<zone_id>/dns_records/<record_id>")
def get_record(zone_id: str, record_id: str) -> Response:
    _zone(zone_id)
    return envelope(_existing(zone_id, record_id))


@api.put("/zones/<zone_id>/dns_records/<record_id>")
@api.patch("/zones/<zone_id>/dns_records/<record_id>")
def update_record(zone_id: str, record_id: str) -> Response:
    zone = _zone(zone_id)
    earlier = _existing(zone_id, record_id)
    body = request.get_json(silent=True)
    if request.method == "PATCH" and isinstance(body, dict):
        body = {**{key: earlier[key] for key in ("name", "type", "content", "ttl", "proxied",
                                                 "comment", "tags", "settings")}, **body}
    record = _checked(body, zone)
    _no_clash(zone_id, record, own_id=record_id)
    return envelope(fake_state().put(zone_id, {**earlier, **record, "id": record_id}))


@api.delete("/zones/<zone_id>/dns_records/<record_id>")
def delete_record(zone_id: str, record_id: str) -> Response:
    _zone(zone_id)
    if not fake_state().delete(zone_id, record_id):
        raise CloudflareError(404, (81044, "Record does not exist."))
    return envelope({"id": record_id})
