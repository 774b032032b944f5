"""The periodic jobs, and how often each runs (seconds)."""

from __future__ import annotations

from rq.cron import CronScheduler

from worker.jobs.alerts import evaluate_alerts
from worker.jobs.billing import sweep_events
from worker.jobs.domains import sweep_domains
from worker.jobs.lifecycle import enforce_retention, expire_grace
from worker.jobs.mail import sweep_mail
from worker.jobs.provisioning import sweep_stuck_runs
from worker.jobs.signups import expire_unpaid_signups
from worker.jobs.site_health import check_sites, clean_site_checks
from worker.queues import MAINTENANCE

PERIODIC = [
    (sweep_events, 30),
    (sweep_stuck_runs, 15),
    (sweep_mail, 60),
    (expire_grace, 120),
    (enforce_retention, 3600),
    (expire_unpaid_signups, 120),
    (sweep_domains, 60),  # tenants' own domains by DNS (tenants/domain_checks.py)
    (check_sites, 60),  # tenant sites' health (monitoring/), each on its slot of 5 minutes
    (clean_site_checks, 3600),  # healthy checks after 6 hours, the others after two days
    (evaluate_alerts, 60),  # the alert rules' incidents, and staff told (monitoring/alerts.py)
]


# The sweeps that repair what a crash or an outage left undone; SWEEP_EVERY_SECONDS shortens
# their interval (test stacks only).
REPAIRING = (sweep_events, sweep_stuck_runs, sweep_mail)


def build_scheduler(connection, config=None) -> CronScheduler:
    every = (config or {}).get("SWEEP_EVERY_SECONDS") or 0
    scheduler = CronScheduler(connection=connection)
    for func, seconds in PERIODIC:
        if every and func in REPAIRING:
            seconds = min(seconds, every)
        scheduler.register(func, queue_name=MAINTENANCE, interval=seconds)
    return scheduler
