"""The tone the writing assistant writes in for a site, chosen in its settings and kept in
``Tenant.site_settings["assistant_tone"]``; friendly until the owner chooses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.messages import N_
from db.models import Tenant
from db.refusals import Refused

TONES = ("friendly", "professional", "formal", "playful")
DEFAULT = "friendly"


def tone_of(tenant: Tenant) -> str:
    settings = tenant.site_settings if isinstance(tenant.site_settings, dict) else {}
    chosen = settings.get("assistant_tone")
    return chosen if chosen in TONES else DEFAULT


def set_tone(session: Session, tenant: Tenant, tone: str) -> None:
    """Raises ``Refused`` for a tone that is not one of ``TONES``. Flushes."""
    if tone not in TONES:
        raise Refused(N_("Choose one of the tones in the list."), field="assistant_tone")
    tenant.site_settings = {**(tenant.site_settings or {}), "assistant_tone": tone}  # a new dict
    session.flush()
