"""Unpaid signups hold their subdomain for a limited time: ending a reservation that ran out.

Stripe expires the Checkout Session itself at the same moment (``expires_at``) and its
``checkout.session.expired`` event ends the reservation too; this is the same rule for when
that event is late or lost, and it expires the session at Stripe first, so that a payment can
never arrive for a signup that no longer holds its name.
"""

from __future__ import annotations

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.checkout import expire_session
from db.base import utcnow
from db.locks import lock_customer
from db.models import Signup
from db.models.signups import SignupStatus
from tenants import signups


def expire_if_due(session: Session, client: stripe.StripeClient, signup_id: str) -> bool:
    """End this signup's reservation if it is still unpaid and ran out; True when ended.

    Serialised with the customer's Stripe events (the same advisory lock). When Stripe says
    its Checkout Session was completed meanwhile, the payment is on its way and the signup
    stays. Flushes; the caller commits.
    """
    signup = session.get(Signup, signup_id)
    if signup is None:
        return False
    if signup.stripe_customer_id:
        lock_customer(session, signup.stripe_customer_id)
    signup = session.scalar(select(Signup).where(Signup.id == signup_id).with_for_update()
                            .execution_options(populate_existing=True))
    if signup.status != SignupStatus.PENDING or signup.expires_at is None or signup.expires_at > utcnow():
        return False
    if signup.checkout_session_id:
        status = expire_session(client, signup.checkout_session_id,
                                f"signup-{signup.id}-expire-{signup.checkout_session_id}")
        if status == "complete":
            return False
    signups.expire(session, signup)
    return True
