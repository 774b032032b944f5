"""The storefront in Dutch and English: the language switch, Accept-Language, the default,
and Dutch formats (web/i18n.py, web/filters.py)."""

import re

import pytest

from support import csrf_token

NBSP = " "  # Babel writes "€\xa029"; text_of folds the no-break space like any space


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def dutch(make_app, db_session, redis):
    """A storefront whose DEFAULT_LANGUAGE is nl, as in production."""
    app = make_app(DEFAULT_LANGUAGE="nl")
    with app.test_client() as client:
        yield client


def test_pricing_is_dutch_by_default(dutch):
    response = dutch.get("/pricing")
    assert "€\xa035,09" in response.get_data(as_text=True)  # the amount never wraps off its sign
    page = text_of(response)
    assert '<html lang="nl">' in page
    assert "Kies Starter" in page and "Per maand" in page and "2 maanden gratis" in page
    assert f"€{NBSP}35,09</span> <span class=\"per\">/ maand" in page and f"€{NBSP}1.990" not in page
    assert f"€{NBSP}29 excl. btw voor bedrijven" in page
    assert "Eigen domeinnaam" in page  # a catalog feature label, translated at display
    assert "Een professionele website voor een klein bedrijf." in page  # a tagline
    assert "Choose Starter" not in page and "Custom domain" not in page
    assert 'aria-current="true" class="active">Nederlands</a>' in page


def test_yearly_prices_in_dutch_and_a_month_rounds_half_up(dutch):
    page = text_of(dutch.get("/pricing?interval=year"))
    assert f"€{NBSP}2.407,90</span> <span class=\"per\">/ jaar" in page
    # 2,407.90 a year is 200.658... a month: € 200,66, not 200,65.
    assert f"€{NBSP}200,66 per maand, jaarlijks gefactureerd" in page


def test_accept_language_english_gives_english(dutch):
    page = text_of(dutch.get("/pricing?interval=year",
                             headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert '<html lang="en">' in page and "Choose Starter" in page
    assert "€2,407.90</span> <span class=\"per\">/ year" in page
    assert "€29.24 a month, billed yearly" in page


def test_the_switch_sets_a_cookie_that_wins_over_accept_language(dutch):
    switched = dutch.get("/language/en?next=/pricing?interval=year")
    assert switched.status_code == 303 and switched.location == "/pricing?interval=year"
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    page = text_of(dutch.get("/pricing", headers={"Accept-Language": "nl"}))
    assert '<html lang="en">' in page and "Choose Starter" in page
    assert 'aria-current="true" class="active">English</a>' in page


@pytest.mark.parametrize("code", ["de", "xx", "NL-evil"])
def test_an_unknown_code_in_the_switch_falls_back_silently(dutch, code):
    switched = dutch.get(f"/language/{code}?next=/pricing")
    assert switched.status_code == 303 and switched.location == "/pricing"
    assert "Set-Cookie" not in switched.headers
    page = dutch.get("/pricing")
    assert page.status_code == 200 and "Kies Starter" in text_of(page)


def test_an_unknown_code_in_the_cookie_falls_back_to_accept_language_then_default(dutch):
    dutch.set_cookie("lang", "klingon")
    assert "Kies Starter" in text_of(dutch.get("/pricing"))
    page = dutch.get("/pricing", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Choose Starter" in text_of(page)


@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/x", "/\\evil.test",
                                    "javascript:alert(1)", "pricing"])
def test_the_switch_sends_only_to_paths_here(dutch, target):
    switched = dutch.get("/language/en", query_string={"next": target})
    assert switched.status_code == 303 and switched.location == "/pricing"


def test_signup_validation_messages_are_dutch(dutch):
    response = dutch.post("/signup?plan=starter&interval=month", data={
        "csrf_token": csrf_token(dutch, "/signup?plan=starter&interval=month"),
        "email": "not-an-address"})
    page = text_of(response)
    assert response.status_code == 422
    assert "Vul de naam van je bedrijf in." in page and "Dit lijkt geen e-mailadres." in page
    assert "Bedrijfsnaam" in page and "Verder naar betalen" in page
    assert "Tell us your company" not in page


def test_error_pages_are_dutch(dutch):
    response = dutch.get("/no-such-page")
    page = text_of(response)
    assert response.status_code == 404 and '<html lang="nl">' in page
    assert "Niet gevonden" in page and "Terug naar de abonnementen" in page
    missing = text_of(dutch.get("/pricing?plan=gold"))
    assert "Er is geen abonnement &#39;gold&#39;." in missing
    too_large = dutch.post("/signup?plan=starter", data={"x": "y" * (12 * 2**20)})
    page = text_of(too_large)
    assert too_large.status_code == 413 and "Te groot" in page
    assert "groter dan 11 MB" in page and "%(limit)s" not in page


def test_login_page_is_dutch(dutch):
    page = text_of(dutch.get("/login"))
    assert "Inloggen" in page and "Wachtwoord vergeten?" in page and "E-mailadres" in page


def test_dates_and_numbers_follow_the_language_and_the_tenants_time_zone(make_app):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from flask import g, render_template_string

    app = make_app(DEFAULT_LANGUAGE="nl")
    late_evening = datetime(2027, 1, 2, 23, 30, tzinfo=UTC)  # already 3 January in Amsterdam
    template = "{{ when | date }} · {{ 1234567 | number }} · {{ 199000 | money }}"
    with app.test_request_context("/pricing"):
        assert render_template_string(template, when=late_evening) == \
            "3 januari 2027 · 1.234.567 · €\xa01.990"
    with app.test_request_context("/pricing", headers={"Accept-Language": "en"}):
        g.tenant = SimpleNamespace(time_zone="America/New_York")  # still 2 January there
        assert render_template_string(template, when=late_evening) == \
            "2 January 2027 · 1,234,567 · €1,990"  # English as written in Europe (en_GB)


def test_onboarding_progress_is_dutch_on_the_page_and_in_its_status(make_app, app, db_session,
                                                                     redis):
    import factories
    from support import share_transaction

    signup = factories.signup(db_session)
    dutch_app = make_app(DEFAULT_LANGUAGE="nl")
    share_transaction(dutch_app, app)
    client = dutch_app.test_client()
    page = text_of(client.get(f"/onboarding/{signup.id}"))
    assert "We wachten op de bevestiging van je betaling..." in page  # a tenants/ message
    assert "Betaling ontvangen" in page and "Adres van je site:" in page
    status = client.get(f"/onboarding/{signup.id}/status").get_json()
    assert status["message"] == "We wachten op de bevestiging van je betaling..."
    assert [stage["label"] for stage in status["stages"]][:2] == [
        "Betaling ontvangen", "Je site wordt gemaakt"]
    english = client.get(f"/onboarding/{signup.id}/status", headers={"Accept-Language": "en"})
    assert english.get_json()["message"] == "Waiting for the payment confirmation..."


def test_a_rules_refusal_is_shown_in_dutch(make_app, app, db_session, redis):
    import factories
    from support import share_transaction

    taken = factories.signup(db_session)
    dutch_app = make_app(DEFAULT_LANGUAGE="nl")
    share_transaction(dutch_app, app)
    client = dutch_app.test_client()
    url = "/signup?plan=starter&interval=month"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "company": "Bakkerij Jansen",
        "subdomain": taken.subdomain, "email": "jansen@example.com",
        "password": factories.PASSWORD, "template": "corporate", "terms": "y"})
    assert response.status_code == 422
    assert "Dit subdomein is al bezet." in text_of(response)
