"""stripe events notify: each stored Stripe event's id is sent on the channel
``stripe_events`` when its insert commits, to wake the dispatcher that enqueues it
(``worker.event_dispatch``); the webhook itself no longer talks to Redis. ``received_at``
is the moment of the insert, so events stored in one transaction keep their order

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE stripe_events ALTER COLUMN received_at SET DEFAULT clock_timestamp()")
    op.execute("""
        CREATE FUNCTION stripe_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('stripe_events', NEW.id);
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER stripe_events_notify AFTER INSERT ON stripe_events
        FOR EACH ROW EXECUTE FUNCTION stripe_events_notify()
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE stripe_events ALTER COLUMN received_at SET DEFAULT now()")
    op.execute("DROP TRIGGER stripe_events_notify ON stripe_events")
    op.execute("DROP FUNCTION stripe_events_notify()")
