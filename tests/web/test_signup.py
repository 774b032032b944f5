"""GET/POST /signup: validation, one Customer and one Checkout Session, then Checkout."""

import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import Signup, Subdomain
from db.refusals import Refused
from plans.catalog import default_catalog
from tenants.signups import SignupRequest, create_or_resume
from worker.services import services

import factories
from support import csrf_token, http, share_transaction

GOOD = {"company": "Bakery Blum", "subdomain": "bakery-blum", "email": "ida@blum.example",
        "password": "flour and water at dawn", "template": "corporate", "terms": "y"}


def submit(client, plan="starter", interval="month", **changes):
    url = f"/signup?plan={plan}&interval={interval}"
    data = {**GOOD, **changes, "csrf_token": csrf_token(client, url)}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def fake_get(stripe_fake, path, **params):
    response = http.get(f"{stripe_fake.url}/v1/{path}", params=params,
                         headers={"Authorization": "Bearer sk_test_suite"})
    return response.json()


def test_form_offers_only_the_plans_templates(client):
    page = client.get("/signup?plan=starter").get_data(as_text=True)
    assert 'value="corporate"' in page and 'value="blog"' in page
    assert 'value="ecommerce"' not in page
    assert 'value="ecommerce"' in client.get("/signup?plan=professional").get_data(as_text=True)


@pytest.mark.parametrize("field,value,message", [
    ("subdomain", "ab", "Use 3 to 40 characters."),
    ("subdomain", "x" * 41, "Use 3 to 40 characters."),
    ("subdomain", "-bakery", "single hyphens, not at the start or end"),
    ("subdomain", "bakery--blum", "single hyphens"),
    ("subdomain", "bäckerei", "Use lowercase letters"),
    ("subdomain", "admin", "This name is reserved"),
    ("subdomain", "www", "This name is reserved"),
    ("email", "not-an-email", "does not look like an email"),
    ("password", "short", "at least 10 characters"),
    ("password", "password123", "too easy to guess"),
    ("password", "bakery-blum-2024", "Do not use your email, company or subdomain"),
    ("company", "", "Tell us your company"),
    ("template", "ecommerce", "Not a valid choice"),
    ("terms", None, "Please accept the terms"),
])
def test_each_rule_has_a_clear_message_and_keeps_values(client, db_session, field, value, message):
    response = submit(client, **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="ida@blum.example"' in page or field == "email"
    assert 'value="Bakery Blum"' in page or field == "company"
    assert GOOD["password"] not in page  # the password is never echoed back
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 0


def test_subdomain_of_a_pending_signup_is_taken(client, db_session):
    factories.signup(db_session).subdomain  # noqa: B018
    other = factories.signup(db_session)
    db_session.commit()
    response = submit(client, subdomain=other.subdomain, email="someone@else.example")
    assert response.status_code == 422
    assert "already taken" in response.get_data(as_text=True)


def test_email_of_an_existing_owner_is_refused(app, client, db_session, mails):
    from tenants.provisioning import run_provisioning
    from worker.jobs.provisioning import provisioning_services

    existing = factories.signup(db_session)
    db_session.commit()
    with app.app_context():
        run_provisioning(db_session, provisioning_services(), existing.id)
    response = submit(client, email=existing.email)
    assert "already has a Contyzr account" in response.get_data(as_text=True)


def error_of(response) -> list[str]:
    return re.findall(r'<p class="error" id="email-error">([^<]+)</p>', response.get_data(as_text=True))


def test_email_of_any_member_of_another_team_is_refused_like_an_owners(app, client, db_session,
                                                                      stripe_fake, mails):
    """Provisioning creates the owner with the signup's email, and an email belongs to one
    account: such a payment could never become a site. Refused before Checkout, in the same
    words as an owner's email, so the answer tells nobody which role the address has."""
    tenant = factories.tenant(app, db_session)
    answers = {}
    for role in ("owner", "admin", "editor"):
        email = tenant.owner_email if role == "owner" else factories.user(db_session, tenant, role).email
        response = submit(client, email=email.upper(), subdomain=f"new-{role}-site")
        assert response.status_code == 422
        answers[role] = error_of(response)
        assert fake_get(stripe_fake, "customers", email=email.lower())["data"] == []
    assert answers["owner"] == answers["admin"] == answers["editor"] == [
        "This email already has a Contyzr account. Sign in instead."]
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 1  # the tenant's own


def test_email_of_a_paid_signup_not_yet_live_is_refused(client, db_session, stripe_fake):
    paid = factories.signup(db_session)
    paid.status = "paid"
    db_session.commit()
    response = submit(client, email=paid.email, subdomain="another-site")
    assert response.status_code == 422
    assert error_of(response) == ["This email already has a Contyzr account. Sign in instead."]
    assert db_session.get(Subdomain, "another-site") is None


def test_success_creates_one_customer_one_session_and_redirects(client, db_session, stripe_fake):
    response = submit(client, plan="professional", interval="year", template="ecommerce")
    assert response.status_code == 303
    signup = db_session.scalar(select(Signup).where(Signup.subdomain == "bakery-blum"))
    assert response.headers["Location"] == signup.checkout_url
    assert signup.checkout_url.startswith(stripe_fake.url + "/checkout/pay/")
    assert signup.password_hash.startswith("$argon2id$v=19$m=47104")

    customer = fake_get(stripe_fake, f"customers/{signup.stripe_customer_id}")
    assert customer["email"] == "ida@blum.example"
    assert customer["metadata"]["signup_id"] == signup.id
    assert GOOD["password"] not in str(customer)

    session = fake_get(stripe_fake, f"checkout/sessions/{signup.checkout_session_id}")
    assert session["mode"] == "subscription" and session["customer"] == customer["id"]
    assert session["client_reference_id"] == signup.id
    assert session["metadata"]["signup_id"] == signup.id
    assert session["allow_promotion_codes"] is True
    assert session["success_url"].endswith("?session_id={CHECKOUT_SESSION_ID}")
    assert "/onboarding/" in session["success_url"]
    cancel = parse_qs(urlsplit(session["cancel_url"]).query)
    assert cancel["plan"] == ["professional"] and cancel["interval"] == ["year"]
    items = http.get(f"{stripe_fake.url}/v1/checkout/sessions/{session['id']}/line_items",
                      headers={"Authorization": "Bearer sk_test_suite"}).json()["data"]
    assert items[0]["price"]["lookup_key"] == "professional_yearly"


def test_submitting_twice_creates_nothing_new(client, db_session, stripe_fake):
    first = submit(client, email="twice@blum.example")
    second = submit(client, email="twice@blum.example")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 1
    customers = fake_get(stripe_fake, "customers", email="twice@blum.example")["data"]
    assert len(customers) == 1


def test_someone_else_cannot_take_over_a_pending_signup(client, db_session):
    submit(client)
    response = submit(client, password="a different long password")
    assert response.status_code == 422 and "already taken" in response.get_data(as_text=True)


def test_cancel_returns_to_the_form_calmly_with_values_kept(client, db_session, stripe_fake):
    submit(client)
    signup = db_session.scalar(select(Signup))
    session = fake_get(stripe_fake, f"checkout/sessions/{signup.checkout_session_id}")
    page = client.get(session["cancel_url"].replace("http://localhost", "")).get_data(as_text=True)
    assert "Your payment was cancelled and nothing was charged" in page
    assert 'value="bakery-blum"' in page and 'value="Bakery Blum"' in page
    assert re.search(r'value="corporate"[^>]*checked|checked[^>]*value="corporate"', page)


def test_stripe_unreachable_is_a_clear_message_not_a_500(app, make_app, db_session, redis):
    broken = make_app(STRIPE_API_BASE="http://127.0.0.1:1")
    share_transaction(broken, app)
    response = submit(broken.test_client())
    assert response.status_code == 422
    assert "could not be reached. Nothing was charged" in response.get_data(as_text=True)


def test_two_racing_signups_for_one_subdomain_one_wins(app):
    engine = services(app).database.engine
    barrier, outcomes = threading.Barrier(2), []

    def attempt(n):
        request = SignupRequest(company=f"Racer {n}", subdomain="racing-name",
                                email=f"racer{n}@example.com", password="a perfectly fine pass",
                                template="corporate", plan_id="starter", interval="month")
        with Session(engine) as session:
            barrier.wait()
            try:
                create_or_resume(session, default_catalog(), request)
                session.commit()
                outcomes.append("won")
            except Refused as exc:
                outcomes.append(exc.field)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert sorted(outcomes) == ["subdomain", "won"]
    finally:
        with Session(engine) as session:
            session.execute(delete(Subdomain).where(Subdomain.name == "racing-name"))
            session.execute(delete(Signup).where(Signup.subdomain == "racing-name"))
            session.commit()
