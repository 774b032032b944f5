"""Rendering a tenant's public site: a GET path in, a complete response out.

The plan decides what is on it: the shop only with the webshop feature, and no more pages,
products and stored media than the plan's limits (the oldest ones; see
``plans.entitlements.kept``). What a downgrade left beyond them answers 404 here.

Languages (``web.public_site.languages``): the default language at the root, each other
language the site serves under its prefix (``/en/over-ons``), the content read in it through
``tenants.translations.localised`` with the default language's texts as fallback, every link
inside the site kept in the page's language (``Site.link``). The chrome's language is the
request's (``web.tenant_sites`` sets it from the same path).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote

from flask import Response, make_response, redirect, render_template, request, send_file
from flask_babel import gettext
from sqlalchemy.orm import Session

from db.languages import LANGUAGE_NAMES
from db.models import MediaFile, Page, Tenant
from plans.catalog import Plan
from plans.entitlements import kept
from tenants import markdown, media
from tenants import shop as shop_rules
from tenants.pages import image_ids, is_empty_block
from tenants.scope import scoped
from tenants.site_content import HOME_SLUG, IMAGE_BLOCKS, RESERVED_SLUGS, block_problems
from tenants.translations import localised
from web.hosts import site_url
from web.public_site import queries, seo
from web.public_site.cart_session import cart_of
from web.public_site.formatting import long_date, paragraphs, product_image
from web.public_site.languages import Place, localise_path, place, served
from web.public_site.theme import Theme, site_theme
from worker.services import services


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str

    def is_current(self, path: str) -> bool:
        # A home page ("/", "/en/") is current only itself; a page also for what lies below it.
        return path == self.url or (not self.url.endswith("/") and path.startswith(self.url + "/"))


@dataclass(frozen=True)
class Site:
    tenant_id: int
    company: str
    url: str  # the site's own absolute address, for canonical links and the sitemap
    theme: Theme
    webshop: bool
    page_limit: int | None  # None: unlimited
    product_limit: int | None
    media_limit: int | None  # MB
    navigation: list[NavLink]
    platform_url: str | None
    time_zone: str = "Europe/Amsterdam"  # IANA name; dates on the site are shown in it
    language: str = "nl"  # the language of this page of the site
    default_language: str = "nl"  # served at the root
    languages: tuple[str, ...] = ("nl",)  # every language the site serves now
    sells: bool = False  # the shop takes orders now (web/public_site/cart.py)
    cart_count: int = 0  # products in this visitor's cart

    @property
    def multilingual(self) -> bool:
        """Whether the site is served in more than one language (alternates, a switcher)."""
        return len(self.languages) > 1

    def link(self, path: str) -> str:
        """A path of the site in this page's language: ``/shop`` -> ``/en/shop``."""
        return localise_path(path, self.language, self.default_language)

    def link_in(self, language: str, path: str) -> str:
        """A path of the site in ``language``: ``('en', '/')`` -> ``/en/``."""
        return localise_path(path, language, self.default_language)


def page_url(page: Page) -> str:
    return "/" if page.slug == HOME_SLUG else f"/{page.slug}"


def _limit(plan: Plan | None, name: str) -> int | None:
    """The plan's limit; nothing at all for a tenant whose plan is not in the catalog."""
    return plan.limit(name) if plan is not None else 0


def _in_language(session: Session, site: Site, items: list) -> list:
    """``items`` read in the page's language, with the default language's texts where a
    translation is missing (the rows themselves on the default language's pages)."""
    if site.language == site.default_language or not items:
        return items
    return localised(session, items, site.language, site.default_language)


def _navigation(session: Session, site: Site, now: datetime) -> list[NavLink]:
    """Navigation pages in order; Shop and Blog, when they have something to show, after Home."""
    tenant_id = site.tenant_id
    pages = _in_language(session, site,
                         queries.navigation_pages(session, tenant_id, site.page_limit))
    links = [NavLink(page.title, site.link(page_url(page))) for page in pages]
    listings = []
    if site.webshop and queries.active_products(session, tenant_id, site.product_limit, limit=1):
        listings.append(NavLink(gettext("Shop"), site.link("/shop")))
    if queries.published_posts(session, tenant_id, now, limit=1):
        listings.append(NavLink(gettext("Blog"), site.link("/blog")))
    after = 1 if links and links[0].url == site.link("/") else 0
    return links[:after] + listings + links[after:]


def _site(session: Session, tenant: Tenant, now: datetime, language: str | None = None,
          languages: tuple[str, ...] | None = None) -> Site:
    """The site as a page in ``language`` shows it (the default language when None or when
    the site does not serve it)."""
    plan = services().catalog.plan(tenant.plan_id)
    webshop = plan is not None and plan.has("webshop")
    page_limit, product_limit = _limit(plan, "pages"), _limit(plan, "products")
    languages = served(tenant) if languages is None else languages
    site = Site(
        tenant_id=tenant.id,
        company=tenant.company,
        url=site_url(tenant.subdomain),  # its main address: a domain of its own, or the subdomain
        theme=site_theme(tenant, session),
        webshop=webshop,
        page_limit=page_limit,
        product_limit=product_limit,
        media_limit=_limit(plan, "media_mb"),
        navigation=[],
        platform_url=services().urls.public_url,
        time_zone=tenant.time_zone,
        language=language if language in languages else tenant.language,
        default_language=tenant.language,
        languages=languages,
        sells=webshop and shop_rules.sells(services().catalog, tenant,
                                           shop_rules.shop_of(session, tenant.id)),
        cart_count=sum(cart_of(tenant.id).values()) if webshop else 0,
    )
    return replace(site, navigation=_navigation(session, site, now))


def _pictures(session: Session, site: Site, ids: set[int]) -> dict[int, media.Picture]:
    """The pictures of these images, by media id, in one query: only the tenant's own images
    that are within the plan's storage (the site serves no others)."""
    if not ids:
        return {}
    rows = session.scalars(scoped(MediaFile, site.tenant_id).where(
        MediaFile.id.in_(ids), MediaFile.content_type.startswith("image/"),
        kept("media_mb", site.tenant_id, site.media_limit)))
    return {row.id: shown for row in rows if (shown := media.picture(row)) is not None}


def _page_view(session: Session, site: Site, page: Page) -> tuple[str, dict]:
    """The page's blocks that can be shown: well formed, not empty, products only with a
    webshop, and images only while their file is there."""
    blocks = [
        block for block in page.blocks
        if not block_problems(block) and not is_empty_block(block)
        and (block["type"] != "products" or site.webshop)
    ]
    pictures = _pictures(session, site, image_ids(blocks))
    blocks = [block for block in blocks
              if block["type"] not in IMAGE_BLOCKS or block["data"]["media_id"] in pictures]
    limits = [block["data"]["limit"] for block in blocks if block["type"] == "products"]
    products = _in_language(session, site, queries.active_products(
        session, site.tenant_id, site.product_limit, max(limits))) if limits else []
    title = None if page.slug == HOME_SLUG else page.title
    return "page.html", {"title": title, "page": page, "blocks": blocks, "products": products,
                         "pictures": pictures}


def _resolve(
    session: Session, site: Site, segments: list[str], now: datetime
) -> tuple[str, dict] | None:
    """The template and context for a path, or None when the site has nothing there."""
    tenant_id = site.tenant_id
    match segments:
        case []:
            page = queries.home_page(session, tenant_id, site.page_limit)
            if page is not None:
                return _page_view(session, site, _one(session, site, page))
        case ["shop"] if site.webshop:
            products = queries.active_products(session, tenant_id, site.product_limit)
            return "products.html", {"title": gettext("Shop"),
                                     "products": _in_language(session, site, products)}
        case ["shop", slug] if site.webshop:
            product = queries.active_product(session, tenant_id, slug, site.product_limit)
            if product is not None:
                product = _one(session, site, product)
                return "product.html", {"title": product.name, "product": product}
        case ["blog"]:
            posts = _in_language(session, site, queries.published_posts(session, tenant_id, now))
            covers = {post.cover_image_id for post in posts if post.cover_image_id}
            return "posts.html", {"title": gettext("Blog"), "posts": posts,
                                  "pictures": _pictures(session, site, covers)}
        case ["blog", slug]:
            post = queries.published_post(session, tenant_id, slug, now)
            if post is not None:
                post = _one(session, site, post)
                covers = {post.cover_image_id} if post.cover_image_id else set()
                return "post.html", {"title": post.title, "post": post,
                                     "pictures": _pictures(session, site, covers)}
        case [slug] if slug not in RESERVED_SLUGS:
            page = queries.published_page(session, tenant_id, slug, site.page_limit)
            if page is not None:
                return _page_view(session, site, _one(session, site, page))
    return None


def _one(session: Session, site: Site, item):
    return _in_language(session, site, [item])[0]


def _media_file(session: Session, tenant: Tenant, storage_name: str) -> Response:
    """An uploaded file, by its random storage name (product images, pictures in pages), when
    it is within the plan's storage."""
    from io import BytesIO

    plan = services().catalog.plan(tenant.plan_id)
    row = session.scalar(scoped(MediaFile, tenant.id).where(
        (MediaFile.storage_name == storage_name)
        | MediaFile.variants.contains([{"storage_name": storage_name}]),  # a smaller copy
        kept("media_mb", tenant.id, _limit(plan, "media_mb"))))
    data = media.read_named(services().media, row, storage_name) if row is not None else None
    if data is None:
        return make_response(("Not found", 404))
    response = send_file(BytesIO(data), mimetype=row.content_type, max_age=31536000,
                         etag=storage_name, last_modified=row.created_at)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


def _stylesheet(theme: Theme) -> Response:
    response = make_response(theme.css)
    response.mimetype = "text/css"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def _seo(session: Session, tenant: Tenant, site: Site, context: dict, path: str) -> dict:
    """The canonical address of what is shown (a page by its own slug, also when it stands in
    for the home page) in this page's language, its addresses in the site's other languages
    (``alternates``, hreflang), its structured data (the organisation on the home page, the
    post on a post's page), and the rest of the ``<head>``: title, description, sharing
    (``seo.head``). ``path`` is the path without its language prefix."""
    page = context.get("page")
    own = page_url(page) if page is not None else path
    canonical = seo.absolute(site.url, site.link(own))
    head = seo.head(session, site, tenant.site_settings, context.get("title"),
                    page or context.get("post"), canonical)
    structured_data = None
    if "post" in context:
        structured_data = seo.blog_posting(site, context["post"], canonical, head.image)
    elif path == "/":
        structured_data = seo.organization(site)
    return {"canonical": canonical, "alternates": seo.alternates(site, own),
            "structured_data": structured_data, "head": head, "here": own}


def _render(session: Session, site: Site, template: str, status: int, now: datetime,
            current: str, **context) -> Response:
    html = render_template(
        f"site/{template}",
        site=site,
        current=current,
        year=now.year,
        paragraphs=paragraphs,
        markdown=markdown.render,
        long_date=long_date,
        product_image=product_image,
        site_language_names=LANGUAGE_NAMES,
        **context,
    )
    return make_response(html, status)


def _moved(path: str) -> Response:
    """The same path at the root, with its query: for a language prefix the site does not
    serve (see ``web.public_site.languages``)."""
    query = request.query_string.decode("latin-1")
    location = quote(path, safe="/%:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
    return redirect(location, code=302)


def render_site(session: Session, tenant: Tenant, path: str) -> Response:
    """The response to a GET of ``path`` on the tenant's site; a styled 404 when nothing is there.

    A path under a language prefix the site serves (``/en/over-ons``) is shown in that
    language. Also serves the tenant's colours and font as ``/theme.css`` (see ``theme.py``).
    """
    segments = [segment for segment in path.split("/") if segment]
    if segments == ["theme.css"]:
        return _stylesheet(site_theme(tenant, session))
    if segments == ["robots.txt"]:
        return seo.robots(site_url(tenant.subdomain))
    if len(segments) == 2 and segments[0] == "media":
        return _media_file(session, tenant, segments[1])
    languages = served(tenant)
    where = place(tenant, path, languages)
    if where.segments == [HOME_SLUG]:
        return redirect(localise_path("/", where.language, tenant.language), code=301)
    now = datetime.now(UTC)
    site = _site(session, tenant, now, where.language, languages)
    if segments == ["sitemap.xml"]:
        return seo.sitemap(session, site, now)
    if where.moved_to is not None:
        view = _resolve(session, site, segments, now)  # a page whose slug is a language code
        if view is None:
            return _moved(where.moved_to)
        where = Place(tenant.language, segments)
    else:
        view = _resolve(session, site, where.segments, now)
    status = 200
    if view is None:
        view, status = ("not_found.html", {"title": gettext("Page not found")}), 404
    template, context = view
    if status == 200:
        context = {**context, **_seo(session, tenant, site, context, where.path)}
    return _render(session, site, template, status, now, site.link(where.path), **context)


def render_site_page(session: Session, tenant: Tenant, template: str, status: int = 200,
                     language: str | None = None, **context) -> Response:
    """Any template of the site (``site/<template>``) in the site's look and in ``language``
    (the default language when None or not served): its layout, navigation and theme (the
    contact form's answers)."""
    now = datetime.now(UTC)
    return _render(session, _site(session, tenant, now, language), template, status, now, "",
                   **context)
