"""Request hygiene before anything else runs, and security headers on every response."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, abort, request

from web.hosts import check_host

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' {stripe}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Routes for machines, which read their own bodies: the JSON API and the Stripe webhook.
MACHINE_ROUTES = ("/api/", "/webhooks/")


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def check_request() -> None:
    """Refuse, with a clear 4xx, what would otherwise fail deep inside the app."""
    check_host()
    if "\x00" in request.path:
        abort(400, description="The address contains a NUL character, which is not allowed.")
    try:
        if _has_nul(request.args.values()):
            abort(400, description="The request contains a NUL character, which is not allowed.")
    except UnicodeDecodeError:
        abort(400, description="The address is not valid UTF-8.")
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(MACHINE_ROUTES):
        return
    if request.content_length and request.mimetype not in FORM_TYPES:
        abort(415, description="Send this form as a web form (not JSON or another format).")
    if request.mimetype in FORM_TYPES:
        form = request.form
        if any(not isinstance(key, str) for key in form.keys()) \
                or any(not isinstance(key, str) for key in request.files.keys()):
            abort(400, description="The form is malformed: every field needs a name.")
        if _has_nul(form.values()):
            abort(400, description="The request contains a NUL character, which is not allowed.")


class SecurityHeaders:
    """WSGI middleware: every response leaving the app carries the security headers, error
    pages included, even those made before routing (a malformed Host) or by an error handler.
    A header a view set itself is kept. Sits inside ProxyFix, so HSTS follows the scheme the
    client used."""

    def __init__(self, wsgi_app: Callable, csp: str):
        self.wsgi_app = wsgi_app
        self.headers = [
            ("Content-Security-Policy", csp),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _value in headers}
            extra = self.headers + ([("Strict-Transport-Security",
                                      "max-age=63072000; includeSubDomains")] if secure else [])
            headers.extend((name, value) for name, value in extra if name.lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    """Call before CSRFProtect is bound, so that malformed bodies never reach its check, and
    before ``web.proxy`` wraps the app."""
    app.before_request(check_request)
    stripe_origin = app.config.get("STRIPE_API_BASE") or "https://checkout.stripe.com"
    app.wsgi_app = SecurityHeaders(app.wsgi_app, CSP.format(stripe=stripe_origin))
