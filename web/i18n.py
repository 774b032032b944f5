"""Languages: Flask-Babel's catalogs (translations), the active language and time zone.

The storefront and the portal speak Dutch and English. The language of a request is, in
order: the ``lang`` cookie that the language switch (``GET /language/<code>?next=<path>``)
sets; else the best match of the browser's ``Accept-Language`` among ``LANGUAGES``; else the
``DEFAULT_LANGUAGE`` setting. An unknown code (in the switch's URL or in the cookie) is
ignored: the next rule decides, never an error page.

Texts from the layers below (``tenants/``) arrive in English, marked with ``db.messages.N_``;
``translated`` turns them into the active language where they are shown.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, redirect, request
from flask_babel import Babel, get_locale, gettext

from db.languages import LANGUAGE_NAMES, TRANSLATIONS, UI_LANGUAGES
from db.messages import N_, Message

LANGUAGES = UI_LANGUAGES
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
DEFAULT_TIME_ZONE = "Europe/Amsterdam"

# Texts shown on the error page that come from outside our code (werkzeug's standard names
# and descriptions) or are passed to error.html as values (web/errors.py, web/refusals.py):
# marked here so that the extractor finds them; error.html translates what it is given.
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
    N_("Something went wrong on our side. Please try again."),
    N_("Form expired"),
    N_("This form has expired or was not sent by this site. Go back, reload the page and try "
       "again."),
    N_("Not possible"),
)


def default_language() -> str:
    return current_app.config["DEFAULT_LANGUAGE"]


def _tenant_site_host() -> bool:
    from web.hosts import current_site

    site = current_site()
    return site is not None and site.subdomain is not None


def select_language() -> str:
    if not has_request_context():
        return default_language()
    if _tenant_site_host():
        # Tenant sites' own chrome is still English; it gets the site's own language(s) in a
        # later part of issue 14 (never the visitor's browser alone).
        return "en"
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or default_language()


def select_time_zone() -> str:
    tenant = g.get("tenant") if has_request_context() else None
    return getattr(tenant, "time_zone", None) or DEFAULT_TIME_ZONE


def current_language() -> str:
    return str(get_locale() or default_language())


def translated(message):
    """A text handed up in English (a ``db.messages`` mark), in the active language.

    Texts without a translation (a company's name, an unmarked message) come back unchanged.
    The result is a plain ``str``: templates escape it like any other value."""
    if not message:
        return message  # gettext("") would be the catalog's header
    if isinstance(message, Message):
        return gettext(message.template, **message.values)
    return gettext(str(message))


def switch_language(code: str):
    """The language switch: remember ``code`` for a year, then back to ``next`` (a path here)."""
    from web.auth.views import safe_next

    response = redirect(safe_next(request.args.get("next"), "pricing.pricing"), code=303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


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
