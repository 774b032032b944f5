"""The back office's tenant list: search by company, subdomain, domain, member email, id and
Stripe customer; filters by plan, billing state, health and trial; sorting; pages; who may see
it; and bad input answered with a message, never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from test_staff_sign_in import enrol, make_staff

from db.base import utcnow
from db.models import CustomDomain, ProvisioningRun, Signup, Subscription, Tenant, User
from db.refusals import Refused
from staff.tenant_search import FAILING, OK, search


@pytest.fixture
def token():
    """A word only this test's tenants have, so that other rows never count."""
    return f"zq{uuid.uuid4().hex[:10]}"


def make_tenant(session, company, *, plan="starter", state="active", email=None, subdomain=None,
                created=None, subscription=None):
    unique = uuid.uuid4().hex[:10]
    tenant = Tenant(company=company, subdomain=subdomain or f"t-{unique}", plan_id=plan,
                    interval="month", template="corporate", provisioning_state="active",
                    billing_state=state, stripe_customer_id=f"cus_{unique}",
                    stripe_subscription_id=subscription, site_settings={},
                    created_at=created or utcnow())
    session.add(tenant)
    session.flush()
    session.add(User(tenant_id=tenant.id, email=email or f"owner-{unique}@example.com",
                     password_hash="x", role="owner"))
    session.commit()
    return tenant


def ids(page) -> list[int]:
    return [row.id for row in page.rows]


def test_search_finds_company_subdomain_domain_member_email_id_and_customer(db_session, token):
    bakery = make_tenant(db_session, f"{token.upper()} Bakery", email=f"anna@{token}-bakery.nl")
    florist = make_tenant(db_session, "Florist", subdomain=f"{token}-flowers")
    db_session.add(CustomDomain(tenant_id=florist.id, name=f"shop.{token}-blumen.de",
                                status="verified"))
    garage = make_tenant(db_session, "Garage")
    db_session.add(User(tenant_id=garage.id, email=f"Piet.{token}@garage.example",
                        password_hash="x", role="editor"))
    db_session.commit()

    assert set(ids(search(db_session, token))) == {bakery.id, florist.id}
    assert ids(search(db_session, f"{token} bak")) == [bakery.id]  # company, any case
    assert ids(search(db_session, f"{token}-FLOW")) == [florist.id]  # subdomain
    assert ids(search(db_session, f"shop.{token}-blumen")) == [florist.id]  # own domain
    assert ids(search(db_session, f"https://shop.{token}-blumen.de/contact")) == [florist.id]
    assert ids(search(db_session, f"piet.{token}@")) == [garage.id]  # a member's email
    assert ids(search(db_session, f"@{token}-bakery")) == [bakery.id]  # its part after the @
    assert ids(search(db_session, f"{token}-bakery.nl")) == [bakery.id]
    assert garage.id in ids(search(db_session, str(garage.id)))  # (digits may start a name too)
    assert garage.id in ids(search(db_session, f"#{garage.id}"))
    assert ids(search(db_session, garage.stripe_customer_id)) == [garage.id]
    # The search is by the start of each field, and LIKE's own characters are plain text.
    assert ids(search(db_session, "bakery " + token)) == []
    assert ids(search(db_session, "%" + token[1:])) == []
    assert ids(search(db_session, "_" + token[1:])) == []


def test_a_domain_typed_in_unicode_finds_its_stored_idna_form(db_session, token):
    tenant = make_tenant(db_session, "Bäckerei Müller")
    db_session.add(CustomDomain(tenant_id=tenant.id, name=f"xn--bckerei-5wa.{token}.de",
                                status="verified"))
    db_session.commit()
    assert ids(search(db_session, f"bäckerei.{token}.de")) == [tenant.id]


def test_filters_by_plan_billing_state_health_and_trial(db_session, token):
    now = utcnow()
    starter = make_tenant(db_session, f"{token} starter")
    pro = make_tenant(db_session, f"{token} pro", plan="professional", state="suspended")
    late = make_tenant(db_session, f"{token} late", state="past_due")
    signup = Signup(company="Broken", subdomain=f"b-{token}", email=f"b@{token}.example",
                    password_hash="x", plan_id="starter", interval="month", template="corporate")
    db_session.add(signup)
    db_session.flush()
    broken = make_tenant(db_session, f"{token} broken")
    db_session.add(ProvisioningRun(signup_id=signup.id, tenant_id=broken.id, status="failed",
                                   error="the mail service refused"))
    lost = make_tenant(db_session, f"{token} lost", plan="professional")
    db_session.add(CustomDomain(tenant_id=lost.id, name=f"{token}.example", status="lost"))
    db_session.add(CustomDomain(tenant_id=starter.id, name=f"www.{token}.example",
                                status="pending"))  # pending is no problem
    trial_ids = {f"sub_{token}_{n}" for n in range(3)}
    trialing, trial_ahead, cancelled = sorted(trial_ids)
    db_session.add_all([
        Subscription(id=trialing, customer_id="cus_t1", status="trialing",
                     trial_end=now + timedelta(days=10)),
        Subscription(id=trial_ahead, customer_id="cus_t2", status="active",
                     trial_end=now + timedelta(days=2)),
        Subscription(id=cancelled, customer_id="cus_t3", status="canceled",
                     trial_end=now + timedelta(days=5))])
    db_session.commit()
    on_trial = make_tenant(db_session, f"{token} trial", subscription=trialing)
    ahead = make_tenant(db_session, f"{token} ahead", subscription=trial_ahead)
    gone = make_tenant(db_session, f"{token} gone", subscription=cancelled, state="closed")
    everyone = {starter.id, pro.id, late.id, broken.id, lost.id, on_trial.id, ahead.id, gone.id}

    def found(**filters) -> set[int]:
        return set(ids(search(db_session, token, **filters)))

    assert found() == everyone
    assert found(plan="professional") == {pro.id, lost.id}
    assert found(billing_state="suspended") == {pro.id}
    assert found(plan="professional", billing_state="active") == {lost.id}
    assert found(health=FAILING) == {late.id, broken.id, lost.id}
    assert found(health=OK) == everyone - {late.id, broken.id, lost.id}
    assert found(trial=True) == {on_trial.id, ahead.id}
    assert found(trial=False) == everyone - {on_trial.id, ahead.id}

    rows = {row.id: row for row in search(db_session, token).rows}
    assert rows[broken.id].problems == ("provisioning_failed",)
    assert rows[lost.id].problems == ("domain_lost",) and rows[lost.id].health == FAILING
    assert rows[late.id].problems == ("past_due",)
    assert rows[starter.id].health == OK and rows[starter.id].owner_email.startswith("owner-")
    assert rows[on_trial.id].trial and rows[on_trial.id].trial_end is not None
    assert not rows[gone.id].trial


def test_sorting(db_session, token):
    day = datetime(2026, 1, 1, tzinfo=UTC)
    b = make_tenant(db_session, f"{token} b", plan="enterprise", state="active", created=day)
    a = make_tenant(db_session, f"{token.upper()} A", plan="starter", state="suspended",
                    created=day + timedelta(days=2))
    c = make_tenant(db_session, f"{token} c", plan="professional", state="past_due",
                    created=day + timedelta(days=1))

    def order(sort) -> list[int]:
        return ids(search(db_session, token, sort=sort))

    assert order("newest") == [a.id, c.id, b.id]
    assert order("oldest") == [b.id, c.id, a.id]
    assert order("company") == [a.id, b.id, c.id]  # A-Z whatever the case
    assert order("plan") == [a.id, c.id, b.id]  # the catalog's order: starter, professional, ...
    assert order("state") == [b.id, c.id, a.id]  # active, past due, suspended


def test_pages(db_session, token):
    made = [make_tenant(db_session, f"{token} {n}", created=utcnow() - timedelta(hours=n))
            for n in range(5)]
    first, last = search(db_session, token, size=2), search(db_session, token, size=2, page=3)
    assert (first.total, first.pages, first.has_more) == (5, 3, True)
    assert ids(first) == [made[0].id, made[1].id]
    assert ids(last) == [made[4].id] and not last.has_more
    past = search(db_session, token, size=2, page=10**12)
    assert past.rows == [] and past.total == 5
    seen = [i for page in (1, 2, 3) for i in ids(search(db_session, token, size=2, page=page))]
    assert sorted(seen) == sorted(t.id for t in made)


@pytest.mark.parametrize("arguments, field", [
    ({"query": "x" * 500}, "q"), ({"plan": "platinum"}, "plan"),
    ({"billing_state": "frozen"}, "state"), ({"health": "sick"}, "health"),
    ({"sort": "random"}, "sort"), ({"page": 0}, "page"), ({"page": -1}, "page"),
    ({"size": 1000}, "size")])
def test_the_rule_refuses_what_it_cannot_answer(db_session, arguments, field):
    with pytest.raises(Refused) as refused:
        search(db_session, **arguments)
    assert refused.value.field == field and refused.value.status == 400


def test_support_sees_the_list_and_each_row_leads_to_its_tenant(client, db_session, redis, token):
    tenant = make_tenant(db_session, f"{token} Kaasboer", plan="professional",
                         email=f"kees@{token}.example")
    enrol(client, db_session, make_staff(db_session, "support"))
    page = client.get("/admin/tenants")
    assert page.status_code == 200 and "<h1>Tenants</h1>" in page.get_data(as_text=True)
    found = client.get(f"/admin/tenants?q={token}&plan=professional&state=active&health=ok"
                       "&trial=no&sort=company")
    text = found.get_data(as_text=True)
    assert found.status_code == 200
    assert f'href="/admin/tenants/{tenant.id}"' in text and f"kees@{token}.example" in text
    assert "1 tenant" in text
    assert 'href="/admin/tenants"' in client.get("/admin/").get_data(as_text=True)  # the nav


def test_finance_is_refused_and_nobody_signed_in_is_sent_to_sign_in(client, db_session, redis):
    answer = client.get("/admin/tenants?q=x")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    enrol(client, db_session, make_staff(db_session, "finance"))
    assert client.get("/admin/tenants").status_code == 403
    assert 'href="/admin/tenants"' not in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("query, status, says", [
    ("q=" + "x" * 500, 400, "at most 254 characters"),
    ("plan=platinum", 400, "no such plan"),
    ("state=frozen", 400, "no such billing state"),
    ("health=sick", 400, "either ok or failing"),
    ("trial=maybe", 400, "either yes or no"),
    ("sort=random", 400, "cannot be sorted that way"),
    ("page=-1", 400, "numbered from 1"),
    ("page=0", 400, "numbered from 1"),
    ("page=abc", 400, "a number"),
    ("page=" + "9" * 5000, 400, "a number"),
    ("q=%00", 400, "NUL character"),  # (refused for every request: web/security.py)
    ("q=%01%7Fx", 200, "No tenants match"),
    ("q=%25", 200, ""),
])
def test_bad_input_gets_a_clear_answer_never_a_500(client, db_session, redis, query, status, says):
    enrol(client, db_session, make_staff(db_session, "support"))
    answer = client.get(f"/admin/tenants?{query}")
    assert answer.status_code == status
    assert says in answer.get_data(as_text=True)


def test_a_page_past_the_end_says_so(client, db_session, redis, token):
    make_tenant(db_session, f"{token} only")
    enrol(client, db_session, make_staff(db_session, "admin"))
    answer = client.get(f"/admin/tenants?q={token}&page=999999999999999999")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "past the end of the list" in text
    assert f"/admin/tenants?q={token}" in text  # the link to the last page (page 1)
