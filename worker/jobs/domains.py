"""Tenants' own domains checked by DNS (``tenants.domain_checks``): the sweep that ``contyzr
cron`` runs every minute, and one domain at once (the portal's "Check now")."""

from __future__ import annotations

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.domains import CustomDomain
from tenants import domain_checks, domain_routing
from tenants.domain_checks import CheckSettings, CouldNotCheck
from tenants.lifecycle import Effects
from worker.context import job_session, queues
from worker.jobs.mail import deliver_soon
from worker.services import services

BATCH = 100  # domains per sweep
OUTAGES_IN_A_ROW = 3  # DNS does not answer: leave the rest for the next sweep


def settings() -> CheckSettings:
    return CheckSettings.from_config(current_app.config, services().secret_key)


def check_and_commit(session: Session, domain: CustomDomain) -> bool | None:
    """Check one locked domain and commit; then its mails go out and, when its status
    changed, the routing cache is renewed. None when DNS did not answer (nothing changed)."""
    effects = Effects()
    try:
        changed = domain_checks.check(session, services().urls, settings(), domain, effects)
    except CouldNotCheck as error:
        session.commit()  # only the time of the next try
        current_app.logger.warning("domains: could not check %s (%s)", domain.name, error)
        return None
    session.commit()
    if changed:
        try:
            domain_routing.invalidate(services().redis)
        except RedisError:
            current_app.logger.exception("domains: routing cache not renewed after %s",
                                         domain.name)
    for key in effects.mail_keys:
        deliver_soon(queues(), key)
    return changed


def sweep_domains() -> int:
    """Check the domains whose check is due, one locked row and one commit at a time; how
    many were checked. A DNS outage changes no state."""
    checked = outages = 0
    with job_session() as session:
        for _ in range(BATCH):
            found = domain_checks.due(session, limit=1)
            if not found:
                break
            if check_and_commit(session, found[0]) is None:
                outages += 1
                if outages >= OUTAGES_IN_A_ROW:
                    current_app.logger.error("domains: DNS is not answering; sweep stopped")
                    break
            else:
                outages, checked = 0, checked + 1
        session.commit()
    return checked


def check_domain(domain_id: int) -> bool | None:
    """Check one domain now, unless it was removed or a sweep is checking it right now."""
    with job_session() as session:
        domain = session.scalar(select(CustomDomain).where(CustomDomain.id == domain_id)
                                .with_for_update(skip_locked=True))
        if domain is None:
            session.commit()
            return None
        return check_and_commit(session, domain)
