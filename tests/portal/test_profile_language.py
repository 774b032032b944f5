"""Each signed-in person's own language: the profile setting, the portal and every page they
see in it, the storefront's switch saving it too, and bad codes falling back.

Every person has their own test client used without ``with``, so no two share a request's
``g`` (signed-in user, database session, CSRF token)."""

import re

import pytest
from sqlalchemy import select

from db.models import User

import factories
from support import csrf_token


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


def language_of(db_session, email) -> str:
    db_session.expire_all()
    return db_session.scalar(select(User.language).where(User.email == email))


def save_language(client, code):
    return client.post("/portal/profile", data={"language": code,
                                                "csrf_token": csrf_token(client, "/portal/profile")})


@pytest.fixture
def dutch(app, db_session, redis, mails):
    """A Dutch tenant: its owner and an editor, both with Dutch as their language."""
    tenant = factories.tenant(app, db_session, language="nl")
    tenant.editor = factories.user(db_session, tenant, role="editor")
    return tenant


def test_a_dutch_user_sees_the_portal_in_dutch_whatever_the_browser_says(app, dutch):
    owner = signed_in(app, dutch.owner_email)
    page = text(owner.get("/portal/profile", headers={"Accept-Language": "en"}))
    assert '<html lang="nl">' in page
    assert "Je profiel" in page and "Je bent ingelogd als" in page and "Opslaan" in page
    assert "Your profile" not in page
    assert re.search(r'<input checked [^>]*value="nl"', page)  # the saved setting is ticked


def test_switching_to_english_shows_english_at_once_and_only_for_that_person(
        app, db_session, dutch):
    owner = signed_in(app, dutch.owner_email)
    editor = signed_in(app, dutch.editor.email)
    response = save_language(owner, "en")
    assert response.status_code == 303
    assert "lang=en" in response.headers["Set-Cookie"]  # the storefront agrees after sign-out
    page = text(owner.get(response.headers["Location"]))
    assert '<html lang="en">' in page
    assert "The portal is now in English." in page and "Your profile" in page
    assert "Team" in text(owner.get("/portal/team")) and "Members" in text(owner.get("/portal/team"))
    assert language_of(db_session, dutch.owner_email) == "en"

    # The editor's setting is their own: untouched, and their portal stays Dutch.
    assert language_of(db_session, dutch.editor.email) == "nl"
    assert "Je profiel" in text(editor.get("/portal/profile"))


def test_every_role_changes_their_own_language(app, db_session, dutch):
    editor = signed_in(app, dutch.editor.email)
    assert editor.get("/portal/profile").status_code == 200
    assert save_language(editor, "en").status_code == 303
    assert language_of(db_session, dutch.editor.email) == "en"
    assert language_of(db_session, dutch.owner_email) == "nl"


@pytest.mark.parametrize("code", ["xx", "de", "", "NL", "nl' OR 1=1"])
def test_an_unknown_code_is_a_form_error_and_nothing_changes(app, db_session, dutch, code):
    owner = signed_in(app, dutch.owner_email)
    response = save_language(owner, code)
    assert response.status_code == 422
    page = text(response)
    assert "Kies Nederlands of English." in page  # beside the field, in the person's language
    assert language_of(db_session, dutch.owner_email) == "nl"


def test_a_missing_field_or_an_expired_form_is_refused_without_a_change(app, db_session, dutch):
    owner = signed_in(app, dutch.owner_email)
    token = csrf_token(owner, "/portal/profile")
    assert owner.post("/portal/profile", data={"csrf_token": token}).status_code == 422
    assert owner.post("/portal/profile", data={"language": "en"}).status_code == 400
    assert language_of(db_session, dutch.owner_email) == "nl"


def test_the_storefronts_switch_saves_the_profile_too(app, db_session, dutch):
    owner = signed_in(app, dutch.owner_email)
    response = owner.get("/language/en?next=/portal/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/portal/")
    assert language_of(db_session, dutch.owner_email) == "en"
    assert re.search(r'<input checked [^>]*value="en"', text(owner.get("/portal/profile")))
    assert "Dashboard" in text(owner.get("/portal/"))
    assert language_of(db_session, dutch.editor.email) == "nl"  # only the one switching


def test_the_setting_wins_over_the_cookie_and_the_browser_while_signed_in(app, db_session, dutch):
    owner = signed_in(app, dutch.owner_email)
    owner.set_cookie("lang", "en")
    page = text(owner.get("/pricing", headers={"Accept-Language": "en"}))
    assert '<html lang="nl">' in page  # the storefront too, for a signed-in person


def test_an_unknown_code_in_the_switch_falls_back_and_keeps_the_setting(app, db_session, dutch):
    owner = signed_in(app, dutch.owner_email)
    response = owner.get("/language/xx?next=/portal/")
    assert response.status_code == 303
    assert language_of(db_session, dutch.owner_email) == "nl"
    assert '<html lang="nl">' in text(owner.get("/portal/"))


def test_anonymous_visitors_keep_the_cookie_and_browser_rule(app, db_session, dutch):
    visitor = app.test_client()
    assert '<html lang="en">' in text(visitor.get("/pricing", headers={"Accept-Language": "en"}))
    assert '<html lang="nl">' in text(visitor.get("/pricing", headers={"Accept-Language": "nl"}))
    visitor.set_cookie("lang", "nl")
    assert '<html lang="nl">' in text(visitor.get("/pricing", headers={"Accept-Language": "en"}))
    assert visitor.get("/language/en?next=/pricing").status_code == 303  # no one to save it for
    assert '<html lang="en">' in text(visitor.get("/pricing"))
