"""Request hygiene before anything else runs, and security headers on every response."""

from __future__ import annotations

from flask import Flask, abort, request

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


def init_app(app: Flask) -> None:
    """Call before CSRFProtect is bound, so that malformed bodies never reach its check."""
    app.before_request(check_request)
    stripe_origin = app.config.get("STRIPE_API_BASE") or "https://checkout.stripe.com"
    csp = CSP.format(stripe=stripe_origin)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
