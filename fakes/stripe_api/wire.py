"""What goes over the wire: request parameters in, JSON out, idempotent replays, and the
``Stripe-Account`` header naming the connected account a request acts for."""

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from . import accounts
from .errors import StripeError
from .expand import Includes, expand
from .forms import decode, parse_query
from .params import Params
from .state import fake
from .store import StoredResponse


def request_data() -> dict[str, Any]:
    """The parameters: the query string of a GET/DELETE, else the (form or JSON) body."""
    if request.method in ("GET", "DELETE"):
        return parse_query(request.query_string.decode("utf-8", "replace"))
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise StripeError("Invalid JSON body: expected an object.")
        return body
    if request.mimetype == "multipart/form-data":
        return decode(request.form.items(multi=True))
    return parse_query(request.get_data(as_text=True))


def request_params() -> Params:
    return Params(request_data())


def respond(obj: dict[str, Any], params: Params | None = None, includes: Includes | None = None) -> Response:
    """Answer with ``obj``, expanded per the request's ``expand[]`` (``includes`` builds the
    properties Stripe adds only when asked, like a session's ``line_items``)."""
    if params is not None and "expand" in params:
        obj = expand(obj, params.strings("expand"), fake().store, includes)
    return jsonify(obj)


def api_key() -> str:
    """The secret key the request was made with."""
    auth = request.authorization
    if auth is None:
        return ""
    return (auth.token if auth.type == "bearer" else auth.username) or ""


def acting_account() -> str | None:
    """The connected account named by ``Stripe-Account`` (checked), or ``None``."""
    account_id = request.headers.get("Stripe-Account", "").strip()
    if not account_id:
        return None
    accounts.require_access(fake().store, account_id, api_key())
    return account_id


def api_call(view: Callable[..., Response]) -> Callable[..., Response]:
    """A ``/v1`` view: one transaction, and POSTs replayed per ``Idempotency-Key``.

    As with Stripe, a key used again on the same path (by the same account) answers the
    first result (if it succeeded) without running the request again, and fails if the
    parameters differ. The view runs in the scope of the ``Stripe-Account`` header.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        store = fake().store
        with fake().transaction(), store.scoped(acting_account()):
            if request.method != "POST" or not key:
                return view(*args, **kwargs)
            params = request_data()
            slot = (key, store.account, request.path)
            stored = store.idempotent.get(slot)
            if stored is not None:
                return _replay(stored, params, key)
            response = view(*args, **kwargs)
            if 200 <= response.status_code < 300:
                store.idempotent[slot] = StoredResponse(params, response.status_code, response.get_data())
            return response

    return wrapper


def _replay(stored: StoredResponse, params: dict[str, Any], key: str) -> Response:
    if stored.params != params:
        raise StripeError(
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            "execute a different request.",
            type="idempotency_error",
        )
    return Response(
        stored.body,
        stored.status,
        mimetype="application/json",
        headers={"Idempotent-Replayed": "true"},
    )
