"""Errors answered in Stripe's shape: ``{"error": {"type", "message", "param", "code"}}``.

The status codes and ``type`` values are the ones stripe-python maps to its exception
classes: 400/404 ``invalid_request_error`` -> ``InvalidRequestError``, 401 ->
``AuthenticationError``, 402 ``card_error`` -> ``CardError``.
"""

from typing import Any


class StripeError(Exception):
    """An API error; raise it anywhere below a view and the app answers it as JSON."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        decline_code: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param
        self.code = code
        self.decline_code = decline_code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(message, param=param, code=code)


def missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", param=param, code="parameter_missing")


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{object_id}'", status=404, param=param, code="resource_missing")


def card_declined() -> StripeError:
    return StripeError(
        "Your card was declined.",
        status=402,
        type="card_error",
        code="card_declined",
        decline_code="generic_decline",
    )
