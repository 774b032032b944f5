"""Health checks of the tenant sites (``monitoring``): every minute, the sites whose check is
due, in batches until none is due or the run's time is up; every hour, the old checks'
clean-up."""

from __future__ import annotations

import time

from flask import current_app

from db.base import utcnow
from monitoring import check_rounds, site_checks, uptime
from worker.context import job_session
from worker.services import services

RUN_SECONDS = 50  # a run stops starting batches after this long (the job runs every minute)


def _domain_plans() -> list[str]:
    return [plan.id for plan in services().catalog.plans.values() if plan.has("custom_domain")]


def check_batch(settings: site_checks.ProbeSettings, interval: int, size: int,
                upkeep: bool = True) -> int:
    """Claim one batch of due sites (committed at once), check them, record the verdicts;
    how many were claimed. ``upkeep``: first give new live tenants their rows and retire
    those of tenants gone offline (a run does it before its first batch only)."""
    with job_session() as session:
        if upkeep:
            check_rounds.ensure_rows(session, interval)
            check_rounds.retire_offline(session)
        claimed = check_rounds.claim_due(session, interval, size)
        found = check_rounds.targets(session, services().urls, claimed, _domain_plans())
        session.commit()
        if not claimed:
            return 0
        result = site_checks.check(found, settings)
        uptime.record(session, result.verdicts, utcnow())
        check_rounds.release(session, result.unfinished)
        session.commit()
    if result.unfinished:
        current_app.logger.warning("site checks: %d not finished before the deadline",
                                   len(result.unfinished))
    return len(claimed)


def check_sites(run_seconds: float = RUN_SECONDS) -> int:
    """Check the due sites, batch after batch; how many were checked."""
    config = current_app.config
    settings = site_checks.ProbeSettings.from_config(config)
    interval = max(1, int(config.get("SITE_CHECK_INTERVAL_SECONDS") or 300))
    size = max(1, int(config.get("SITE_CHECK_BATCH_SIZE") or 1000))
    started, checked = time.monotonic(), 0
    while True:
        claimed = check_batch(settings, interval, size, upkeep=not checked)
        checked += claimed
        if claimed < size or time.monotonic() - started > run_seconds:
            return checked


def clean_site_checks() -> tuple[int, int]:
    """Delete healthy checks older than 6 hours, the others after two days (and uptime days
    older than 90)."""
    with job_session() as session:
        deleted = uptime.clean_up(session)
        session.commit()
    return deleted
