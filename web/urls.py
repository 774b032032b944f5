"""Absolute URLs of the storefront, always from ``PUBLIC_URL`` and never from the request's Host."""

from __future__ import annotations

from flask import url_for

from worker.services import services


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under ``PUBLIC_URL``.

    Use this for every address that leaves the app (Stripe's success, cancel and return URLs,
    links in mails): a request sent with ``Host: evil.example`` must not change where they lead.
    """
    return services().urls.public_url + url_for(endpoint, **values)
