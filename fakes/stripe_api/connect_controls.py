"""``/_test`` controls for connected accounts: set what onboarding would, or have an account
deauthorize the platform. JSON (or form) in, JSON out, no auth."""

from flask import Blueprint, Response, jsonify

from . import accounts
from .errors import no_such
from .state import atomic, fake
from .wire import request_params

connect_controls = Blueprint("connect_controls", __name__, url_prefix="/_test")


def _account(account_id: str) -> dict:
    account = accounts.reachable(fake().store, account_id)
    if account is None:
        raise no_such("account", account_id)
    return account


@connect_controls.post("/accounts/<account_id>")
@atomic
def set_account_state(account_id: str) -> Response:
    """``charges_enabled``, ``payouts_enabled``, ``details_submitted`` (booleans; absent ones
    keep their value), with the capabilities and requirements that go with them; emits
    ``account.updated`` if anything changed."""
    params, store = request_params(), fake().store
    account = _account(account_id)
    flags = {
        name: bool(params.flag(name, default=account[name]))
        for name in ("details_submitted", "charges_enabled", "payouts_enabled")
    }
    with fake().webhooks.updating(account, store.now()):
        accounts.set_state(account, **flags)
    return jsonify({"account": account})


@connect_controls.post("/accounts/<account_id>/deauthorize")
@atomic
def deauthorize(account_id: str) -> Response:
    """The account disconnects the platform: ``account.application.deauthorized``, and from
    then on requests for it answer 403."""
    store = fake().store
    _account(account_id)
    event = fake().webhooks.emit(accounts.application(store), "deauthorized", store.now(), account=account_id)
    store.internal[account_id]["revoked"] = True
    return jsonify({"account": account_id, "deauthorized": True, "event": event["id"]})
