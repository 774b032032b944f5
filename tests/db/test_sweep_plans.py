"""Every periodic job selects only its due work through an index (issue 20, part 3).

Each sweep's selection is EXPLAINed (``FORMAT JSON``) with ``enable_seqscan`` off, so that
PostgreSQL takes an index whenever one fits, even on these small tables; the plan must then
hold no sequential scan of ``tenants`` or of the sweep's own tables, and no scan of a whole
index either (an index scan without an index condition) unless the index is partial, i.e.
holds only rows that can be due. ``test_the_check_finds_scans_without_the_indexes`` shows the
check failing once the indexes of migration 0024 are dropped (in a transaction rolled back).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from billing import events
from db.base import utcnow
from emails import outbox
from monitoring import alert_rules, check_rounds, uptime
from tenants import domain_checks, provisioning, signups
from worker.jobs import lifecycle
from worker.jobs.provisioning import STUCK_AFTER

NOW = utcnow()
CONFIG: dict = {}  # the alert rules' defaults
SCANS = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def sweeps() -> list[tuple[str, tuple[str, ...], object]]:
    """(sweep and what, its own tables, the statement it runs)."""
    found = [
        ("sweep_events", ("stripe_events",), events.due_query(NOW)),
        ("sweep_stuck_runs", ("provisioning_runs",), provisioning.resumable(NOW, STUCK_AFTER)),
        ("sweep_mail: undelivered", ("mail_log",),
         outbox.undelivered_query(NOW, timedelta(minutes=1))),
        ("sweep_mail: give_up", ("mail_log",), outbox.give_up_statement()),
        ("expire_grace", ("tenants",), lifecycle.grace_ended(NOW)),
        ("expire_grace: next batch", ("tenants",), lifecycle.grace_ended(NOW, after=(NOW, 7))),
        ("enforce_retention", ("tenants",), lifecycle.retention_due(NOW, timedelta(days=90))),
        ("enforce_retention: next batch", ("tenants",),
         lifecycle.retention_due(NOW, timedelta(days=90), after=(NOW, 7))),
        ("expire_unpaid_signups", ("signups",), signups.expiring(NOW)),
        ("expire_unpaid_signups: next batch", ("signups",),
         signups.expiring(NOW, after=(NOW, "x"))),
        ("sweep_domains", ("custom_domains",), domain_checks.due_query(NOW, 1)),
        ("check_sites: ensure_rows", ("site_health",), check_rounds.missing_rows(300, NOW)),
        ("check_sites: retire_offline", ("site_health",), check_rounds.retire_statement()),
        ("check_sites: claim_due", ("site_health",), check_rounds.due_query(NOW, 1000)),
    ]
    old_checks, old_days = uptime.clean_up_statements(NOW)
    found += [("clean_site_checks: checks", ("site_checks",), old_checks),
              ("clean_site_checks: uptime days", ("site_uptime_days",), old_days)]
    own = {"site_down": "site_health", "site_slow": "site_health", "domain_lost": "custom_domains",
           "provisioning_failed": "provisioning_runs", "provisioning_stuck": "provisioning_runs",
           "stripe_events_failing": "stripe_events", "stripe_events_backlog": "stripe_events",
           "mail_failing": "mail_log", "payment_failures_surge": "stripe_events"}
    found += [(f"evaluate_alerts: {name}", (own[name],), query(CONFIG, NOW))
              for name, query in alert_rules.QUERIES.items()]
    found.append(("evaluate_alerts: uptime_low", ("site_uptime_days",),
                  uptime.low_uptime_statement(24, NOW)))
    return found


SWEEPS = sweeps()


def plan_of(connection, statement) -> dict:
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}",
                                      compiled.params).scalar()
    return (json.loads(rows) if isinstance(rows, str) else rows)[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def indexes(connection) -> dict[str, tuple[str, bool]]:
    """Index name -> (its table, partial)."""
    return {name: (table, " WHERE " in definition) for name, table, definition in connection.execute(
        text("SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"))}


def unbounded_scans(plan: dict, tables: tuple[str, ...], known: dict) -> list[str]:
    """The scans of ``tenants`` or ``tables`` that read every row: sequential scans, and
    scans of a whole index (no index condition) that is not partial."""
    watched, found = {"tenants", *tables}, []
    for node in nodes(plan):
        kind = node["Node Type"]
        if kind == "Seq Scan" and node.get("Relation Name") in watched:
            found.append(f"Seq Scan on {node['Relation Name']}")
        elif kind in SCANS and "Index Cond" not in node:
            table, partial = known.get(node.get("Index Name"), (None, False))
            if table in watched and not partial:
                found.append(f"{kind} of the whole index {node['Index Name']} on {table}")
    return found


@pytest.fixture
def connection(migrated):
    engine = create_engine(migrated)
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()
    engine.dispose()


@pytest.mark.parametrize(("name", "tables", "statement"), SWEEPS, ids=[s[0] for s in SWEEPS])
def test_each_sweep_selects_its_due_work_through_an_index(connection, name, tables, statement):
    plan = plan_of(connection, statement)
    found = unbounded_scans(plan, tables, indexes(connection))
    assert not found, f"{name}: {found}\n{json.dumps(plan, indent=1)}"


MIGRATION_0024 = ("ix_tenants_grace_due", "ix_tenants_retention_due", "ix_tenants_live",
                  "ix_tenants_offline", "ix_provisioning_runs_unfinished", "ix_mail_log_queued",
                  "ix_mail_log_not_sent", "ix_stripe_events_due", "ix_stripe_events_failed",
                  "ix_stripe_events_payment_failed", "ix_signups_pending_expiry",
                  "ix_site_health_trouble", "ix_site_uptime_days_day", "ix_site_uptime_days_down")


def test_the_check_finds_scans_without_the_indexes(connection):
    for name in MIGRATION_0024:
        connection.execute(text(f"DROP INDEX {name}"))
    known = indexes(connection)
    failing = {name for name, tables, statement in SWEEPS
               if unbounded_scans(plan_of(connection, statement), tables, known)}
    print("without the indexes of 0024:", ", ".join(sorted(failing)))
    assert {"expire_grace", "enforce_retention", "sweep_mail: undelivered", "sweep_stuck_runs",
            "check_sites: ensure_rows",
            "check_sites: retire_offline"} <= failing, sorted(failing)
