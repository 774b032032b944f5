"""``GET /metrics``: the Prometheus text format (``monitoring.metrics``), for the addresses in
``METRICS_ALLOW_FROM`` (addresses or networks; default loopback). Any other caller gets the
plain 404 of a route that does not exist. The caller is ``request.remote_addr``, which
``web.proxy`` takes from X-Forwarded-For only behind ``TRUST_PROXY``."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitoring.metrics import DatabaseCollector, QueueCollector, scrape_registry
from worker.queues import QUEUE_NAMES
from worker.services import services

bp = Blueprint("metrics", __name__)
EXTENSION = "contyzr.metrics_registry"


def allowed(address: str | None, allow_from: list[str]) -> bool:
    try:
        caller = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if caller.version == 6 and caller.ipv4_mapped:
        caller = caller.ipv4_mapped
    for entry in allow_from:
        try:
            if caller in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


@bp.get("/metrics")
def scrape():
    if not allowed(request.remote_addr, current_app.config["METRICS_ALLOW_FROM"]):
        abort(404)
    registry = current_app.extensions[EXTENSION]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    found = services(app)
    app.extensions[EXTENSION] = scrape_registry(
        QueueCollector(lambda: found.queues.connection, QUEUE_NAMES),
        DatabaseCollector(lambda: found.database.sessionmaker(), lambda: found.catalog),
    )
    app.register_blueprint(bp)
