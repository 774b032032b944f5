"""The client's address and scheme behind ``TRUST_PROXY`` proxies.

With ``TRUST_PROXY=N`` the last N entries of ``X-Forwarded-For`` (and ``X-Forwarded-Proto``)
were written by our own proxies, so the Nth from the end is the client: ``request.remote_addr``
is then the client's address for every reader (login throttle, signup and API limits, the
access log), and whatever a client wrote further left is ignored. ``X-Forwarded-Host`` and
``X-Forwarded-Port`` are never trusted: the names the app answers on come from the
configuration (``web.hosts``), not from a header.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from web.config import proxy_count


def init_app(app: Flask) -> None:
    """Call after every other WSGI middleware is in place: ProxyFix must be the outermost."""
    hops = proxy_count(app.config.get("TRUST_PROXY"))
    app.config["TRUST_PROXY"] = hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)
        return

    warned = False

    @app.before_request
    def warn_about_an_untrusted_proxy():
        nonlocal warned
        if not warned and "X-Forwarded-For" in request.headers:
            warned = True
            app.logger.warning(
                "a request carried X-Forwarded-For but TRUST_PROXY is 0: if a proxy is in "
                "front of the app, set TRUST_PROXY to the number of proxies, or every client "
                "shares the proxy's address (login throttling, rate limits, logs)")
