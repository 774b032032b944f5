"""The signup's "Language of your site": its default is the visitor's language, a bad value is a
clear form error, and the new site's starter pages come in the chosen language."""

import re

import pytest
from sqlalchemy import func, select

from db.models import Page, Signup, Tenant, User
from tenants.provisioning import run_provisioning
from worker.jobs.provisioning import provisioning_services

import factories
from support import csrf_token, share_transaction

URL = "/signup?plan=starter&interval=month"
FORM = {"company": "Bakkerij Jansen", "email": "jansen@example.com",
        "password": factories.PASSWORD, "template": "corporate", "terms": "y"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def dutch(make_app, app, db_session, redis, stripe_fake):
    """The storefront with Dutch as its default language, as in production."""
    dutch_app = make_app(DEFAULT_LANGUAGE="nl")
    share_transaction(dutch_app, app)
    with dutch_app.test_client() as client:
        yield client


def checked(page: str) -> list[str]:
    """The site languages the form has ticked."""
    return re.findall(r'<input[^>]*name="site_language"[^>]*value="(\w+)"[^>]*checked', page) + \
        re.findall(r'<input[^>]*checked[^>]*name="site_language"[^>]*value="(\w+)"', page)


def sign_up(client, subdomain, **changes):
    data = {**FORM, "subdomain": subdomain, "email": f"{subdomain}@example.com", **changes,
            "csrf_token": csrf_token(client, URL)}
    return client.post(URL, data={key: value for key, value in data.items() if value is not None})


def provision(app, db_session, subdomain) -> Tenant:
    signup = db_session.scalar(select(Signup).where(Signup.subdomain == subdomain))
    with app.app_context():
        run_provisioning(db_session, provisioning_services(), signup.id)
    return db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))


def test_the_choice_defaults_to_the_language_the_visitor_uses(dutch):
    page = text_of(dutch.get(URL))
    assert "Taal van je site" in page and "Nederlands" in page and "English" in page
    assert "Je startpagina's zijn in deze taal geschreven." in page
    assert checked(page) == ["nl"]
    english = text_of(dutch.get(URL, headers={"Accept-Language": "en"}))
    assert "Language of your site" in english and checked(english) == ["en"]


def test_a_dutch_signup_gets_a_dutch_site(app, dutch, db_session, client):
    response = sign_up(dutch, "bakkerij-jansen")  # the default: the storefront's Dutch
    assert response.status_code == 303
    tenant = provision(app, db_session, "bakkerij-jansen")
    assert tenant.language == "nl" and tenant.languages == ["nl"]
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    assert owner.language == "nl"
    host = {"Host": "bakkerij-jansen.example.test"}
    home = text_of(client.get("/", headers=host))
    assert "In één zin: wat Bakkerij Jansen aanbiedt en voor wie." in home
    assert "Vervang deze tekst door je eigen tekst." in home
    assert 'href="/over-ons"' in home and 'href="/diensten"' in home
    assert "Replace this text" not in home and 'href="/about"' not in home
    about = client.get("/over-ons", headers=host)
    assert about.status_code == 200 and "Over Bakkerij Jansen" in text_of(about)
    assert client.get("/about", headers=host).status_code == 404


def test_choosing_english_on_the_dutch_storefront_gives_an_english_site(app, dutch, db_session,
                                                                       client):
    assert sign_up(dutch, "jansen-english", site_language="en").status_code == 303
    tenant = provision(app, db_session, "jansen-english")
    assert tenant.language == "en"
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    assert owner.language == "nl"  # the owner still reads the portal and mails in Dutch
    home = text_of(client.get("/", headers={"Host": "jansen-english.example.test"}))
    assert "In one sentence: what Bakkerij Jansen offers and for whom." in home
    assert 'href="/about"' in home and "Vervang deze tekst" not in home
    slugs = db_session.scalars(select(Page.slug).where(Page.tenant_id == tenant.id)
                               .order_by(Page.position)).all()
    assert slugs == ["home", "about", "services", "contact"]


@pytest.mark.parametrize("value", ["de", "xx", "", "Nederlands"])
def test_a_bad_site_language_is_a_clear_form_error(dutch, db_session, value):
    response = sign_up(dutch, "bakkerij-fout", site_language=value)
    page = text_of(response)
    assert response.status_code == 422
    assert "Kies de taal van je site: Nederlands, English." in page
    assert 'value="Bakkerij Jansen"' in page  # the other answers are kept
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 0


def test_back_from_a_cancelled_checkout_the_choice_is_kept(dutch, db_session):
    assert sign_up(dutch, "bakkerij-terug", site_language="en").status_code == 303
    signup = db_session.scalar(select(Signup).where(Signup.subdomain == "bakkerij-terug"))
    assert signup.site_language == "en" and signup.language == "nl"
    page = dutch.get(f"{URL}&resume={signup.id}").get_data(as_text=True)
    assert checked(page) == ["en"]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_fresh_site_in_either_language_has_no_page_of_its_own_yet(app, db_session, language):
    """The getting-started list tells starter pages from the owner's own in the site's language:
    a fresh Dutch site's "over-ons" is a starter page, not one the owner added."""
    from plans.catalog import default_catalog
    from tenants.checklist import getting_started

    tenant = factories.tenant(app, db_session, language=language)
    steps = {step.key: step for step in getting_started(db_session, default_catalog(),
                                                       tenant).steps}
    assert not steps["own_page"].done
    assert not steps["placeholders"].done
