"""Every state column holds one of its enum's values: the database refuses any other.

The enums live beside their models; migration 0007 adds the CHECK constraints that the models
declare (alembic's comparison does not look at CHECK constraints, so this file does).
"""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import (
    Base,
    Invite,
    MailLog,
    ProvisioningRun,
    ProvisioningStep,
    Signup,
    Tenant,
    User,
)
from db.models.domains import CustomDomain, DomainStatus
from db.models.mail import MailStatus
from db.models.provisioning import RunStatus, StepOutcome
from db.models.signups import SignupStatus
from db.models.tenants import BillingState, ProvisioningState, Role

STATE_COLUMNS = [
    (Tenant.provisioning_state, ProvisioningState),
    (Tenant.billing_state, BillingState),
    (User.role, Role),
    (Invite.role, Role),
    (Signup.status, SignupStatus),
    (ProvisioningRun.status, RunStatus),
    (ProvisioningStep.outcome, StepOutcome),
    (MailLog.status, MailStatus),
    (CustomDomain.status, DomainStatus),
]
IDS = [f"{column.class_.__tablename__}.{column.key}" for column, _ in STATE_COLUMNS]


@pytest.fixture
def session(migrated):
    """A session on the migrated database (as its owner) whose rows are all rolled back."""
    engine = create_engine(migrated)
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    transaction.rollback()
    connection.close()
    engine.dispose()


def one_of_each(session):
    """One row in every table with a state column, as the code writes them."""
    unique = uuid.uuid4().hex[:8]
    signup = Signup(company="Acme", subdomain=f"acme-{unique}", email=f"o-{unique}@example.com",
                    password_hash="x", plan_id="starter", interval="month", template="corporate")
    session.add(signup)
    session.flush()
    tenant = Tenant(signup_id=signup.id, company="Acme", subdomain=f"acme-{unique}",
                    plan_id="starter", interval="month", template="corporate")
    run = ProvisioningRun(signup_id=signup.id)
    session.add_all([tenant, run])
    session.flush()
    session.add_all([
        User(tenant_id=tenant.id, email=f"u-{unique}@example.com"),
        Invite(tenant_id=tenant.id, email=f"i-{unique}@example.com", role=Role.EDITOR,
               token_hash=unique, expires_at=utcnow() + timedelta(days=1)),
        ProvisioningStep(run_id=run.id, name="database", started_at=utcnow()),
        MailLog(idempotency_key=f"welcome-{unique}", kind="welcome",
                to_address=f"o-{unique}@example.com"),
        CustomDomain(tenant_id=tenant.id, name=f"{unique}.example.org"),
    ])
    session.flush()


@pytest.mark.parametrize(("column", "states"), STATE_COLUMNS, ids=IDS)
def test_the_database_refuses_an_unknown_state(session, column, states):
    one_of_each(session)
    table = column.class_.__tablename__
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        session.execute(update(column.class_).values({column.key: "bogus"}))
    assert refused.value.orig.diag.constraint_name == f"ck_{table}_{column.key}"


@pytest.mark.parametrize(("column", "states"), STATE_COLUMNS, ids=IDS)
def test_the_database_takes_every_state_of_the_enum(session, column, states):
    one_of_each(session)
    for state in states:
        session.execute(update(column.class_).values({column.key: state}))
        assert session.scalar(select(column)) == state


def test_the_migrations_add_the_check_constraints_the_models_declare(session):
    declared = {constraint.name for table in Base.metadata.tables.values()
                for constraint in table.constraints if constraint.__class__.__name__ == "CheckConstraint"}
    in_database = set(session.scalars(text(
        "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace")))
    assert declared == in_database
    assert declared == {f"ck_{column.class_.__tablename__}_{column.key}" for column, _ in STATE_COLUMNS}
