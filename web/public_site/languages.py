"""Which language a request for a tenant's site is in, and the site's addresses in each.

The site decides, never the visitor's browser: the default language (``Tenant.language``) is
served at the root (``/over-ons``), each other language it serves under its prefix
(``/en/over-ons``, ``/en/`` for the home page). It serves other languages only with the plan
feature ``multi_language`` (``tenants.site_languages.offered``); after a downgrade the
translations stay stored and the site shows only its default language.

A prefix that names a site language the site does not serve (a language it does not have, its
default language, or any language after a downgrade) is answered with a redirect (302: the
site's languages may change again) to the same path at the root, in the default language. An
unknown code is no prefix at all: ``/xx/over-ons`` is just a path the site does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.languages import SITE_LANGUAGES
from db.models import Tenant
from tenants import site_languages
from worker.services import services

# Paths that are the site's machinery, never a page in a language.
MACHINE_PREFIXES = ("/media/", "/theme.css", "/robots.txt", "/sitemap.xml", "/site-static/")


def served(tenant: Tenant) -> tuple[str, ...]:
    """The languages the site serves now, in ``SITE_LANGUAGES`` order; the default is always
    among them."""
    offered = site_languages.offered(services().catalog, tenant)
    return tuple(code for code in SITE_LANGUAGES if code in offered or code == tenant.language)


@dataclass(frozen=True)
class Place:
    """Where a path is on the site: its language, the path's segments without the language
    prefix, and, for a prefix the site does not serve, the same path at the root."""

    language: str
    segments: list[str]
    moved_to: str | None = None

    @property
    def path(self) -> str:
        """The path without its language prefix: ``/over-ons``, ``/`` for the home page."""
        return "/" + "/".join(self.segments)


def place(tenant: Tenant, path: str, languages: tuple[str, ...] | None = None) -> Place:
    """The language and the unprefixed segments of ``path`` on the tenant's site."""
    languages = served(tenant) if languages is None else languages
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[0] in SITE_LANGUAGES:
        code, rest = segments[0], segments[1:]
        if code in languages and code != tenant.language:
            return Place(code, rest)
        return Place(tenant.language, rest, moved_to="/" + "/".join(rest))
    return Place(tenant.language, segments)


def localise_path(path: str, language: str, default: str) -> str:
    """A path of the site (``/over-ons``, ``/``) in ``language``: ``/en/over-ons``, ``/en/``.
    The default language's paths, and anything that is not a plain path of the site (another
    site, an anchor, a file, a path already in a language), stay as they are."""
    if language == default or not isinstance(path, str) or not path.startswith("/") \
            or path.startswith("//") or path.startswith(MACHINE_PREFIXES):
        return path
    first = path[1:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if first in SITE_LANGUAGES:
        return path
    return f"/{language}/" if path == "/" else f"/{language}{path}"
