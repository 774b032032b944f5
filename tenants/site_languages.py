"""The languages of a tenant's public site: which of ``SITE_LANGUAGES`` it speaks
(``Tenant.languages``) and which is the default (``Tenant.language``), served at the root and
the fallback of every translation.

A site in more than one language needs the plan feature ``multi_language``; one language
(whichever it is) is every plan's.

Removing a language deletes nothing: its translations stay stored, hidden from the site, and
come back when the language is added again.

Changing the default language keeps every text in its own language. The content rows hold the
default language's texts, so for each page, post and product the new default's translation
and the row's own texts change places: the row gets the new default's texts and the old
default's texts become its translation. A row without a translation in the new default keeps
its texts (the site has nothing else to show) and they are also stored as the old default's
translation, so nothing is lost; ``set_languages`` says how many rows that concerns.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.languages import SITE_LANGUAGES
from db.messages import N_, Message
from db.models import Page, Post, Product, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import may_use, require_feature
from tenants import translations
from tenants.scope import scoped

FEATURE = "multi_language"


@dataclass(frozen=True)
class LanguageChange:
    """What ``set_languages`` did: the default before and after, and how many rows had no
    translation in the new default (they keep the old default's texts)."""

    old_default: str
    new_default: str
    untranslated: int = 0

    @property
    def default_changed(self) -> bool:
        return self.old_default != self.new_default


def offered(catalog: Catalog, tenant: Tenant) -> list[str]:
    """The languages the site serves now: all of its languages with ``multi_language``, else
    only the default (after a downgrade the others stay stored but are not served)."""
    if may_use(catalog, tenant, FEATURE):
        return [code for code in SITE_LANGUAGES if code in tenant.languages]
    return [tenant.language]


def others(tenant: Tenant) -> list[str]:
    """The site's languages besides the default, in ``SITE_LANGUAGES`` order: the ones content
    is translated into."""
    return [code for code in SITE_LANGUAGES if code in tenant.languages and code != tenant.language]


def resolve(catalog: Catalog, tenant: Tenant, code: str | None) -> str:
    """``code`` if the site serves it, else the default: an unknown code is never an error."""
    return code if code in offered(catalog, tenant) else tenant.language


def checked(catalog: Catalog, tenant: Tenant, languages: list[str], default: str) -> list[str]:
    """The languages as stored (``SITE_LANGUAGES`` order, no repeats); raises ``Refused`` for a
    code outside ``SITE_LANGUAGES``, no language or a default not among them, and
    ``FeatureNotInPlan`` for more than one language without ``multi_language``."""
    unknown = [code for code in languages if code not in SITE_LANGUAGES]
    if unknown:
        raise Refused(Message(N_("Your site cannot be in “%(code)s”. Choose from: %(codes)s."),
                              code=str(unknown[0])[:20], codes=", ".join(SITE_LANGUAGES)),
                      "languages")
    chosen = [code for code in SITE_LANGUAGES if code in languages]
    if not chosen:
        raise Refused(N_("Choose at least one language for your site."), "languages")
    if default not in SITE_LANGUAGES:
        raise Refused(Message(N_("Your site cannot be in “%(code)s”. Choose from: %(codes)s."),
                              code=str(default)[:20], codes=", ".join(SITE_LANGUAGES)),
                      "language")
    if default not in chosen:
        raise Refused(N_("The default language must be one of your site's languages."),
                      "language")
    if len(chosen) > 1:
        require_feature(catalog, tenant, FEATURE)
    return chosen


def set_languages(session: Session, catalog: Catalog, tenant: Tenant, languages: list[str],
                  default: str) -> LanguageChange:
    """Set the site's languages and default (see the module's docstring for what a new default
    does to the stored texts). Raises as ``checked`` does, before changing anything. Flushes."""
    chosen = checked(catalog, tenant, languages, default)
    change = LanguageChange(tenant.language, default)
    if change.default_changed:
        untranslated = 0
        for model in (Page, Post, Product):
            rows = session.scalars(scoped(model, tenant.id).order_by(model.id)).all()
            for row in rows:
                if not translations.swap_default(session, row, change.old_default, default):
                    untranslated += 1
        change = LanguageChange(change.old_default, default, untranslated)
    tenant.languages = chosen
    tenant.language = default
    session.flush()
    return change
