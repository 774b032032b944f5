"""One answer to every ``Refused``: rolled back, then the form again (message beside its field,
or flashed), a flash and a redirect, or a clear page with the refusal's status; never a 500."""

from __future__ import annotations

import uuid

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import StringField

from db.messages import N_, Message
from db.models import Subdomain
from db.refusals import Refused
from web.extensions import db
from web.refusals import redirect_refusals, show_refusals
from worker.services import services

PAGE = """{% for category, message in get_flashed_messages(with_categories=true) %}
<p class="flash {{ category }}">{{ message }}</p>{% endfor %}
<p>claimed: {{ claimed }}</p>
{% for error in form.name.errors %}<p class="field-error">name: {{ error }}</p>{% endfor %}"""


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()


@pytest.fixture
def probe(make_app, redis):
    """An app with routes that write a row, then meet a refusal."""
    app = make_app()
    app.config["TESTING"] = True
    marker = f"probe-{uuid.uuid4().hex[:8]}"

    def claim():
        db.session.add(Subdomain(name=marker))
        db.session.flush()  # written, not committed: the refusal must take it back

    def claimed():
        return db.session.scalar(select(func.count()).select_from(Subdomain)
                                 .where(Subdomain.name == marker))

    @app.get("/_probe/form")
    def form_page():
        form = NameForm(data={"name": "x"})
        show_refusals(form, lambda: render_template_string(PAGE, form=form, claimed=claimed()))
        claim()
        raise Refused("That name is taken.", field=form_page.field, status=409)

    @app.get("/_probe/redirect")
    def redirecting():
        redirect_refusals("/login", "warning")
        claim()
        raise Refused("This link has expired.")

    @app.get("/_probe/redirect-message")
    def redirecting_a_message():
        redirect_refusals("/login", "warning")
        raise Refused(Message(N_("This page signs you in only during the first %(minutes)s "
                                 "minutes after your site is ready. Please sign in with your "
                                 "email and password."), minutes=15))

    @app.get("/_probe/bare")
    def bare():
        claim()
        raise Refused("Not with this plan.", status=403)

    form_page.field = "name"
    yield app, form_page, claimed
    with app.app_context():
        state = services(app).database
        with state.sessionmaker() as session:
            session.execute(delete(Subdomain).where(Subdomain.name == marker))
            session.commit()


def test_a_refused_form_comes_back_with_the_message_beside_its_field_and_nothing_written(probe):
    app, _form_page, _claimed = probe
    response = app.test_client().get("/_probe/form")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "name: That name is taken." in body
    assert "claimed: 0" in body  # the page is drawn after the rollback
    assert 'class="flash' not in body


def test_a_refusal_naming_no_field_of_the_form_is_flashed_above_it(probe):
    app, form_page, _claimed = probe
    form_page.field = None
    response = app.test_client().get("/_probe/form")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert '<p class="flash error">That name is taken.</p>' in body
    assert "field-error" not in body


def test_a_refusal_can_be_flashed_on_the_page_a_redirect_leads_to(probe):
    app, _form_page, _claimed = probe
    with app.test_client() as client:
        response = client.get("/_probe/redirect")
        assert response.status_code == 303 and response.headers["Location"] == "/login"
        assert "This link has expired." in client.get("/login").get_data(as_text=True)


def test_a_flashed_message_with_values_is_shown_in_the_visitors_language(probe):
    app, _form_page, _claimed = probe
    with app.test_client() as client:
        client.set_cookie("lang", "nl")
        client.get("/_probe/redirect-message")
        page = client.get("/login").get_data(as_text=True)
    assert "eerste 15 minuten" in page and "%(minutes)s" not in page


def test_a_refusal_no_view_prepared_for_is_a_clear_page_with_its_status_not_a_500(probe):
    app, _form_page, _claimed = probe
    response = app.test_client().get("/_probe/bare")
    assert response.status_code == 403
    assert "Not with this plan." in response.get_data(as_text=True)
