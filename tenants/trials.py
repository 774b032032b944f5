"""Free trials: a plan's trial days (the catalog) are given once per email address and once
per card. The email is checked when the form is sent; the card, whose Stripe fingerprint is
known only once Checkout is done, when the trialing subscription is first seen (a card that
had a trial with another address ends this one at once: it is charged then)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.messages import N_
from db.models import Signup, TrialClaim

TRIAL_USED = N_("This email address has had its free trial already. You can subscribe "
                "straight away instead.")


def had_trial(session: Session, email: str) -> bool:
    return session.get(TrialClaim, email.strip().lower()) is not None


def claim(session: Session, signup: Signup, card_fingerprint: str | None) -> bool:
    """Record the signup's trial; False when its card had a trial with another address. Once
    per signup, whatever the number of events. Flushes."""
    email = signup.email.strip().lower()
    card_used = card_fingerprint is not None and session.scalar(
        select(TrialClaim.email).where(TrialClaim.card_fingerprint == card_fingerprint,
                                       TrialClaim.email != email).limit(1)) is not None
    session.execute(insert(TrialClaim).values(
        email=email, card_fingerprint=None if card_used else card_fingerprint,
        signup_id=signup.id).on_conflict_do_nothing(index_elements=["email"]))
    session.flush()
    return not card_used
