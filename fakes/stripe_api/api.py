"""The Flask app: Stripe's ``/v1`` API, the hosted pages and the ``/_test`` controls.

Create it with :func:`create_app`; :mod:`.server` runs it in a thread, ``python -m
fakes.stripe_api`` from the command line.
"""

from collections.abc import Sequence

from flask import Flask, Response, jsonify, request
from jinja2 import DictLoader
from werkzeug.exceptions import HTTPException

from .api_billing import billing_api
from .api_catalog import catalog_api
from .api_connect import connect_api
from .api_discounts import discounts_api
from .api_events import events_api
from .api_payments import payments_api
from .api_portal import portal_api
from .api_refunds import refunds_api
from .api_schedules import schedules_api
from .api_subscriptions import subscriptions_api
from .api_tax import tax_api
from .connect_controls import connect_controls
from .connect_pages import connect_pages
from .controls import controls
from .errors import StripeError
from .invoice_pages import invoice_pages
from .objects import API_VERSION
from .pages import pages
from .state import FakeStripe
from .store import new_id
from .templates import TEMPLATES


def create_app(
    webhook_url: str | Sequence[str] | None = None,
    webhook_secret: str | None = None,
    connect_webhook_url: str | Sequence[str] | None = None,
    connect_webhook_secret: str | None = None,
) -> Flask:
    """The fake Stripe, sending webhooks to ``webhook_url`` (one or several) if given, and
    connected accounts' events to ``connect_webhook_url`` (Connect endpoints).

    Without a secret each configured endpoint gets a generated ``whsec_`` secret;
    ``GET /_test/webhooks`` lists them.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep "id", "object" first
    app.jinja_loader = DictLoader(TEMPLATES)
    app.extensions["fake_stripe"] = FakeStripe(
        _urls(webhook_url), webhook_secret, _urls(connect_webhook_url), connect_webhook_secret
    )
    apis = (catalog_api, billing_api, subscriptions_api, schedules_api, discounts_api, events_api, tax_api,
            connect_api, payments_api, refunds_api)  # fmt: skip
    for blueprint in (*apis, portal_api, pages, invoice_pages, connect_pages, controls, connect_controls):
        app.register_blueprint(blueprint)
    app.before_request(_authenticate)
    app.after_request(_add_request_id)
    app.register_error_handler(StripeError, _stripe_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _urls(url: str | Sequence[str] | None) -> list[str]:
    return [url] if isinstance(url, str) else list(url or ())


def _authenticate() -> None:
    """``/v1`` wants a secret key: ``Authorization: Bearer sk_...`` (or basic auth)."""
    if not request.path.startswith("/v1/"):
        return
    auth = request.authorization
    key = None
    if auth is not None:
        key = auth.token if auth.type == "bearer" else auth.username
    if not key:
        raise StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            status=401,
        )
    if not key.startswith("sk_"):
        raise StripeError(f"Invalid API Key provided: {key[:8]}*****", status=401)


def _add_request_id(response: Response) -> Response:
    response.headers["Request-Id"] = new_id("req_", 14)
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", API_VERSION)
    return response


def _stripe_error(error: StripeError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _http_error(error: HTTPException) -> Response:
    """Unknown routes, wrong methods and the like, in Stripe's error shape."""
    status = error.code or 500
    if status == 404:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
    elif status == 405:
        message = f"The {request.method} method is not allowed on {request.path}."
    else:
        message = error.description or "Invalid request."
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return _stripe_error(StripeError(message, status=status, type=kind))
