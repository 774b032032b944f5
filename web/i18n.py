"""Languages: Flask-Babel's catalogs (translations), the active language and time zone.

The storefront and the portal speak Dutch and English. The language of a request is, in
order: a signed-in person's own setting (their profile, ``users.language``; the switch below
used while signed in saves it there too); else the ``lang`` cookie that the language switch
(``GET /language/<code>?next=<path>``) sets; else the best match of the browser's
``Accept-Language`` among ``LANGUAGES``; else the ``DEFAULT_LANGUAGE`` setting. An unknown
code (in the switch's URL, the cookie or a profile) is ignored: the next rule decides, never
an error page.

Texts from the layers below (``tenants/``) arrive in English, marked with ``db.messages.N_``;
``translated`` turns them into the active language where they are shown.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Flask, current_app, g, has_request_context, redirect, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user

from db.languages import LANGUAGE_NAMES, TRANSLATIONS, UI_LANGUAGES, format_locale
from db.messages import N_, Message

LANGUAGES = UI_LANGUAGES
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
DEFAULT_TIME_ZONE = "Europe/Amsterdam"

# Texts shown on the error page that come from outside our code (werkzeug's standard names
# and descriptions): marked here so that the extractor finds them; error.html translates what
# it is given.
STANDARD_MESSAGES = (
    N_("Bad Request"),
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("Forbidden"),
    N_("You don't have the permission to access the requested resource. It is either "
       "read-protected or not readable by the server."),
    N_("Not Found"),
    N_("The requested URL was not found on the server. If you entered the URL manually "
       "please check your spelling and try again."),
    N_("Method Not Allowed"),
    N_("The method is not allowed for the requested URL."),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
)


def default_language() -> str:
    return current_app.config["DEFAULT_LANGUAGE"]


def _tenant_site_host() -> bool:
    from web.hosts import current_site

    site = current_site()
    return site is not None and site.subdomain is not None


def select_language() -> str:
    """Flask-Babel's locale: the request's language, with its formats' territory (en_GB);
    the catalogs are found by the language alone."""
    return format_locale(request_language())


def request_language() -> str:
    if not has_request_context():
        return default_language()
    if _tenant_site_host():
        # A tenant site speaks the language its site decides (web.tenant_sites sets it from
        # the path and the site's languages), never the visitor's browser.
        return g.get("site_language") or default_language()
    own = signed_in_language()
    if own is not None:
        return own
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or default_language()


def signed_in_language() -> str | None:
    """The signed-in person's own setting (their profile), on every page they see; None for a
    visitor. Visitors cost no database query, and a failing database leaves the next rule to
    decide (the error page must render)."""
    if not session.get("_user_id"):
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from db.models import User
    from web.extensions import db

    try:
        if not current_user.is_authenticated:
            return None
        user = db.session.get(User, current_user.user_id)  # the sign-in's row: no new query
        code = user.language if user is not None else None
    except SQLAlchemyError:
        return None
    return code if code in LANGUAGES else None


def select_time_zone() -> str:
    tenant = g.get("tenant") if has_request_context() else None
    return getattr(tenant, "time_zone", None) or DEFAULT_TIME_ZONE


def current_language() -> str:
    """The request's language code ("nl", "en"), without a territory."""
    locale = get_locale()
    return locale.language if locale is not None else default_language()


def translated(message):
    """A text handed up in English (a ``db.messages`` mark), in the active language.

    Texts without a translation (a company's name, an unmarked message) come back unchanged.
    The result is a plain ``str``: templates escape it like any other value."""
    if not message:
        return message  # gettext("") would be the catalog's header
    if isinstance(message, Message):
        return gettext(message.template,
                       **{name: _shown(value) for name, value in message.values.items()})
    return gettext(str(message))


def _shown(value):
    """A value of a ``Message`` in the active language's formats: a date and time (a wall-clock
    time, shown as it is) as "28 maart 2027, 02:30"."""
    if isinstance(value, datetime):
        return format_datetime(value, "d MMMM y, HH:mm", locale=get_locale())
    return value


def switch_language(code: str):
    """The language switch: remember ``code`` for a year, then back to ``next`` (a path here)."""
    from web.auth.views import safe_next

    response = redirect(safe_next(request.args.get("next"), "pricing.pricing"), code=303)
    if code in LANGUAGES:
        remember_language(response, code)
        if current_user.is_authenticated:  # the switch and the profile setting agree
            from tenants.accounts import set_language
            from web.extensions import db

            set_language(db.session, current_user.tenant_id, current_user.user_id, code)
            db.session.commit()
    return response


def remember_language(response, code: str) -> None:
    """The ``lang`` cookie, for a year: the language after signing out too."""
    response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)


def return_path() -> str:
    """Where the language switch leads back to: this page with its query, or without a query
    that is not valid UTF-8 (such a request is answered 400, and its page must still render)."""
    try:
        return request.full_path if request.query_string else request.path
    except UnicodeDecodeError:
        return request.path


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LANGUAGE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIME_ZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_language, timezone_selector=select_time_zone)
    app.add_url_rule("/language/<code>", "language", switch_language)
    app.add_template_global(translated)
    app.add_template_global(return_path)
    app.add_template_global({code: LANGUAGE_NAMES[code] for code in LANGUAGES}, "language_names")

    @app.context_processor
    def language():
        return {"current_language": current_language()}
