"""Tokens out of anything logged or reported: the tokens of sign-in, password-reset and
invitation links, and the signup id that opens a signup's onboarding page, are cut to their
first four characters ("…" after them) wherever a path or a query is written down (the
request logs of ``web.access_log`` and ``web.request_log``, error reports to Sentry)."""

from __future__ import annotations

import re
from urllib.parse import unquote

# Routes whose next path segment opens something: a token, or the signup id of an onboarding
# page (a test walks the URL map to keep this list complete).
TOKEN_PATHS = ("/onboarding/", "/signin/", "/password/reset/", "/invites/",
               "/admin/provisioning/",  # a signup id names a resumable signup
               "/admin/invite/")
# Query parameters that do the same (``resume`` names the signup of a cancelled Checkout).
# Stripe's ``session_id`` is no secret without our Stripe key, and stays.
TOKEN_PARAMETERS = ("resume", "token")
SHOWN = 4

_PATH = re.compile("(?P<before>" + "|".join(map(re.escape, TOKEN_PATHS)) + r")(?P<token>[^/?#&\s\"']+)")
_QUERY = re.compile(r"(?P<before>[?&;](?:" + "|".join(TOKEN_PARAMETERS) + r")=)(?P<token>[^&;#\s\"']+)",
                    re.IGNORECASE)


def _hide(match: re.Match) -> str:
    return match["before"] + match["token"][:SHOWN] + "…"


def _mask_plain(text: str) -> str:
    return _QUERY.sub(_hide, _PATH.sub(_hide, text))


def mask(text: str) -> str:
    """``'GET /signin/AbCdEfGh… HTTP/1.1'``: every token of ``text`` cut to its first characters.
    A token hidden behind percent-encoding (``/sign%69n/...``, which routes the same) is found
    in the decoded text, and the decoded text is logged."""
    masked = _mask_plain(text)
    decoded = unquote(masked)
    if decoded != masked:
        decoded_masked = _mask_plain(decoded)
        if decoded_masked != decoded:
            return decoded_masked
    return masked
