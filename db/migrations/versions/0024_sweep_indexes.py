"""sweep indexes: every periodic job finds its due work through an index, most of them a
partial index holding only the rows that can become due (tests/db/test_sweep_plans.py checks
the plans with EXPLAIN)

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

LIVE = "provisioning_state = 'active' AND billing_state IN ('active', 'past_due')"

# name, table, columns, partial condition (None: the whole table)
INDEXES = [
    # expire_grace: past-due tenants by the end of their grace period
    ('ix_tenants_grace_due', 'tenants', ['grace_until'], "billing_state = 'past_due'"),
    # enforce_retention: closed tenants by when they closed
    ('ix_tenants_retention_due', 'tenants', ['closed_at', 'id'], "billing_state = 'closed'"),
    # check_sites: live tenants without a site_health row (ensure_rows), and the rows of
    # tenants that are not live any more (retire_offline)
    ('ix_tenants_live', 'tenants', ['id'], LIVE),
    ('ix_tenants_offline', 'tenants', ['id'], f"NOT ({LIVE})"),
    # sweep_stuck_runs and the provisioning_stuck rule: runs not finished
    ('ix_provisioning_runs_unfinished', 'provisioning_runs', ['created_at'],
     "status IN ('queued', 'running')"),
    # sweep_mail: queued outbox mails (undelivered, give_up); the mail_failing rule
    ('ix_mail_log_queued', 'mail_log', ['created_at'],
     "status = 'pending' AND params IS NOT NULL"),
    ('ix_mail_log_not_sent', 'mail_log', ['created_at'], "status IN ('pending', 'failed')"),
    # sweep_events: events neither processed nor given up on; the alert rules' failed events
    # and failed payments
    ('ix_stripe_events_due', 'stripe_events', ['received_at'],
     "processed_at IS NULL AND failed_at IS NULL"),
    ('ix_stripe_events_failed', 'stripe_events', ['failed_at'], "failed_at IS NOT NULL"),
    ('ix_stripe_events_payment_failed', 'stripe_events', ['received_at'],
     "type = 'invoice.payment_failed'"),
    # expire_unpaid_signups: pending signups by the end of their reservation
    ('ix_signups_pending_expiry', 'signups', ['expires_at', 'id'], "status = 'pending'"),
    # the site_down and site_slow rules: sites in trouble
    ('ix_site_health_trouble', 'site_health', ['tenant_id'],
     "status IN ('critical', 'warning')"),
    # clean_site_checks: uptime days by day; the uptime_low rule: days with a down check
    ('ix_site_uptime_days_day', 'site_uptime_days', ['day'], None),
    ('ix_site_uptime_days_down', 'site_uptime_days', ['day'], "up <> checks"),
]


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns,
                        postgresql_where=sa.text(where) if where else None)


def downgrade() -> None:
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
