"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, abort, request

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' {stripe}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """NUL cannot be stored in PostgreSQL text: refuse it clearly instead of failing later."""
        if _has_nul(request.args.values()) or (
                request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
                and _has_nul(request.form.values())):
            abort(400, description="The request contains a NUL character, which is not allowed.")

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
