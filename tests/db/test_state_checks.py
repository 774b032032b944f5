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
    AssistantRequest,
    Base,
    Invite,
    MailLog,
    Page,
    PageTranslation,
    Post,
    PostTranslation,
    Product,
    ProductTranslation,
    ProvisioningRun,
    ProvisioningStep,
    Revision,
    Signup,
    Tenant,
    User,
)
from db.models.assistant import AssistantAction, RequestStatus
from db.models.domains import CustomDomain, DomainStatus
from db.models.mail import MailStatus
from db.models.monitoring import SiteCheck, SiteHealth, SiteStatus
from db.models.provisioning import RunStatus, StepOutcome
from db.models.revenue import MrrChange, MrrMovement, MrrState
from db.models.revisions import Change
from db.models.shop import Order, OrderStatus
from db.models.signups import SignupStatus
from db.models.staff import StaffRole, StaffUser
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
    (Order.status, OrderStatus),
    (MrrChange.state, MrrState),
    (MrrChange.previous_state, MrrState),
    (MrrChange.kind, MrrMovement),
    (StaffUser.role, StaffRole),
    (SiteHealth.status, SiteStatus),
    (SiteCheck.status, SiteStatus),
    (AssistantRequest.action, AssistantAction),
    (AssistantRequest.status, RequestStatus),
    (Revision.change, Change),
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
    post = Post(tenant_id=tenant.id, slug=f"p-{unique}", title="P")
    session.add(post)
    session.flush()
    session.add_all([
        User(tenant_id=tenant.id, email=f"u-{unique}@example.com"),
        Invite(tenant_id=tenant.id, email=f"i-{unique}@example.com", role=Role.EDITOR,
               token_hash=unique, expires_at=utcnow() + timedelta(days=1)),
        ProvisioningStep(run_id=run.id, name="database", started_at=utcnow()),
        MailLog(idempotency_key=f"welcome-{unique}", kind="welcome",
                to_address=f"o-{unique}@example.com"),
        CustomDomain(tenant_id=tenant.id, name=f"{unique}.example.org"),
        Order(tenant_id=tenant.id, language="nl", stripe_account_id="acct_1"),
        StaffUser(email=f"s-{unique}@agency.example", password_hash="x", role=StaffRole.SUPPORT),
        MrrChange(subscription_id=f"sub_{unique}", customer_id=f"cus_{unique}", at=utcnow(),
                  mrr_cents=2900, state=MrrState.ACTIVE, kind=MrrMovement.NEW),
        SiteHealth(tenant_id=tenant.id),
        SiteCheck(tenant_id=tenant.id, checked_at=utcnow(), status=SiteStatus.HEALTHY),
        AssistantRequest(tenant_id=tenant.id, action=AssistantAction.DRAFT, model="m"),
        Revision(tenant_id=tenant.id, post_id=post.id, change=Change.POST, content={}),
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
    states = {f"ck_{column.class_.__tablename__}_{column.key}" for column, _ in STATE_COLUMNS}
    assert declared == states | set(LANGUAGE_CHECKS) | {"ck_products_vat_rate",
                                                        "ck_content_revisions_one_item"}


def test_a_product_takes_only_the_dutch_vat_rates(session):
    one_of_each(session)
    product = Product(tenant_id=session.scalar(select(Tenant.id)), slug="p", name="P",
                      price_cents=1)
    session.add(product)
    for rate in (21, 9, 0):
        session.execute(update(Product).values(vat_rate=rate))
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        session.execute(update(Product).values(vat_rate=6))
    assert refused.value.orig.diag.constraint_name == "ck_products_vat_rate"


# Languages (migration 0013): people speak the UI's, sites and translations the sites'.
LANGUAGE_CHECKS = {
    "ck_users_language": "UPDATE users SET language = 'de'",
    "ck_invites_language": "UPDATE invites SET language = 'xx'",
    "ck_signups_languages": "UPDATE signups SET site_language = 'fr'",
    "ck_tenants_languages": "UPDATE tenants SET languages = '{nl,xx}'",
    "ck_page_translations_language": "UPDATE page_translations SET language = 'es'",
    "ck_post_translations_language": "UPDATE post_translations SET language = 'es'",
    "ck_product_translations_language": "UPDATE product_translations SET language = 'es'",
}


@pytest.mark.parametrize("constraint", sorted(LANGUAGE_CHECKS))
def test_a_language_outside_the_supported_ones_is_refused_by_the_database(session, constraint):
    one_of_each(session)
    tenant_id = session.scalar(select(Tenant.id))
    page = Page(tenant_id=tenant_id, slug="p", title="P", blocks=[])
    post = Post(tenant_id=tenant_id, slug="p", title="P", body="")
    product = Product(tenant_id=tenant_id, slug="p", name="P", price_cents=1)
    session.add_all([page, post, product])
    session.flush()
    session.add_all([
        PageTranslation(tenant_id=tenant_id, page_id=page.id, language="en", title="P", blocks=[]),
        PostTranslation(tenant_id=tenant_id, post_id=post.id, language="en", title="P"),
        ProductTranslation(tenant_id=tenant_id, product_id=product.id, language="en", name="P"),
    ])
    session.execute(update(Tenant).values(language="nl", languages=["nl", "en", "de", "fr"]))
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        session.execute(text(LANGUAGE_CHECKS[constraint]))
    assert refused.value.orig.diag.constraint_name == constraint
