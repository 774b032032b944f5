"""How the web app answers a ``Refused``: one handler for every view.

A rule raises ``Refused(message, field, status)``; the handler rolls the session back (nothing
half-done is kept) and answers the way the view asked before calling the rule:

- ``show_refusals(form, page)``: the form page again, the message beside the field it names
  (flashed when it names none, or a field this form lacks), with the refusal's status;
- ``redirect_refusals(url, category)``: the message flashed, then a redirect;
- ``render_refusals(render)``: a page of the view's own.

A view that asked nothing gets the error page with the message and the status.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, flash, g, make_response, redirect
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from db.messages import N_
from db.refusals import Refused
from web.errors import render_error
from web.extensions import db
from web.i18n import translated

Answer = Callable[[Refused], ResponseReturnValue]


def render_refusals(render: Answer) -> None:
    """A refusal raised later in this request is answered by ``render(refusal)``."""
    g.refusal_answer = render


def show_refusals(form: FlaskForm, page: Callable[[], ResponseReturnValue]) -> None:
    """A refusal raised later in this request shows ``page()`` again with the message on ``form``."""
    def form_again(exc: Refused) -> ResponseReturnValue:
        if exc.field and exc.field in form:
            field = form[exc.field]
            field.errors = [*field.errors, exc.message]  # a tuple until the form was validated
        else:
            flash(translated(exc.message), "error")  # the session keeps text, not a Message
        response = make_response(page())
        response.status_code = exc.status
        return response
    render_refusals(form_again)


def redirect_refusals(url: str, category: str = "error", code: int = 303) -> None:
    """A refusal raised later in this request is flashed, then the browser sent to ``url``."""
    def flashed(exc: Refused) -> ResponseReturnValue:
        flash(translated(exc.message), category)  # translated now: the session keeps text
        return redirect(url, code=code)
    render_refusals(flashed)


def init_app(app: Flask) -> None:
    @app.errorhandler(Refused)
    def refused(exc: Refused):
        db.session.rollback()
        answer = g.pop("refusal_answer", None)
        if answer is None:
            return render_error(exc.status, N_("Not possible"), exc.message)
        return answer(exc)
