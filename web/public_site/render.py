"""Rendering a tenant's public site: a GET path in, a complete response out.

The plan decides what is on it: the shop only with the webshop feature, and no more pages,
products and stored media than the plan's limits (the oldest ones; see
``plans.entitlements.kept``). What a downgrade left beyond them answers 404 here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Response, make_response, redirect, render_template, send_file
from sqlalchemy.orm import Session

from db.models import MediaFile, Page, Tenant
from plans.catalog import Plan
from plans.entitlements import kept
from tenants import markdown, media
from tenants.pages import image_ids, is_empty_block
from tenants.scope import scoped
from tenants.site_content import HOME_SLUG, IMAGE_BLOCKS, RESERVED_SLUGS, block_problems
from web.hosts import site_url
from web.public_site import queries, seo
from web.public_site.formatting import long_date, paragraphs, product_image
from web.public_site.theme import Theme, site_theme
from worker.services import services


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str

    def is_current(self, path: str) -> bool:
        return path == self.url or (self.url != "/" and path.startswith(self.url + "/"))


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


def page_url(page: Page) -> str:
    return "/" if page.slug == HOME_SLUG else f"/{page.slug}"


def _limit(plan: Plan | None, name: str) -> int | None:
    """The plan's limit; nothing at all for a tenant whose plan is not in the catalog."""
    return plan.limit(name) if plan is not None else 0


def _navigation(session: Session, tenant_id: int, webshop: bool, page_limit: int | None,
                product_limit: int | None, now: datetime) -> list[NavLink]:
    """Navigation pages in order; Shop and Blog, when they have something to show, after Home."""
    pages = queries.navigation_pages(session, tenant_id, page_limit)
    links = [NavLink(page.title, page_url(page)) for page in pages]
    listings = []
    if webshop and queries.active_products(session, tenant_id, product_limit, limit=1):
        listings.append(NavLink("Shop", "/shop"))
    if queries.published_posts(session, tenant_id, now, limit=1):
        listings.append(NavLink("Blog", "/blog"))
    after = 1 if links and links[0].url == "/" else 0
    return links[:after] + listings + links[after:]


def _site(session: Session, tenant: Tenant, now: datetime) -> Site:
    plan = services().catalog.plan(tenant.plan_id)
    webshop = plan is not None and plan.has("webshop")
    page_limit, product_limit = _limit(plan, "pages"), _limit(plan, "products")
    return Site(
        tenant_id=tenant.id,
        company=tenant.company,
        url=site_url(tenant.subdomain),  # its main address: a domain of its own, or the subdomain
        theme=site_theme(tenant, session),
        webshop=webshop,
        page_limit=page_limit,
        product_limit=product_limit,
        media_limit=_limit(plan, "media_mb"),
        navigation=_navigation(session, tenant.id, webshop, page_limit, product_limit, now),
        platform_url=services().urls.public_url,
        time_zone=tenant.time_zone,
    )


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
    products = (queries.active_products(session, site.tenant_id, site.product_limit, max(limits))
                if limits else [])
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
                return _page_view(session, site, page)
        case ["shop"] if site.webshop:
            products = queries.active_products(session, tenant_id, site.product_limit)
            return "products.html", {"title": "Shop", "products": products}
        case ["shop", slug] if site.webshop:
            product = queries.active_product(session, tenant_id, slug, site.product_limit)
            if product is not None:
                return "product.html", {"title": product.name, "product": product}
        case ["blog"]:
            posts = queries.published_posts(session, tenant_id, now)
            covers = {post.cover_image_id for post in posts if post.cover_image_id}
            return "posts.html", {"title": "Blog", "posts": posts,
                                  "pictures": _pictures(session, site, covers)}
        case ["blog", slug]:
            post = queries.published_post(session, tenant_id, slug, now)
            if post is not None:
                covers = {post.cover_image_id} if post.cover_image_id else set()
                return "post.html", {"title": post.title, "post": post,
                                     "pictures": _pictures(session, site, covers)}
        case [slug] if slug not in RESERVED_SLUGS:
            page = queries.published_page(session, tenant_id, slug, site.page_limit)
            if page is not None:
                return _page_view(session, site, page)
    return None


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


def _seo(session: Session, tenant: Tenant, site: Site, context: dict, current: str) -> dict:
    """The canonical address of what is shown (a page by its own slug, also when it stands in
    for the home page), its structured data (the organisation on the home page, the post on a
    post's page), and the rest of the ``<head>``: title, description, sharing (``seo.head``)."""
    page = context.get("page")
    canonical = seo.absolute(site.url, page_url(page) if page is not None else current)
    head = seo.head(session, site, tenant.site_settings, context.get("title"),
                    page or context.get("post"), canonical)
    structured_data = None
    if "post" in context:
        structured_data = seo.blog_posting(site, context["post"], canonical, head.image)
    elif current == "/":
        structured_data = seo.organization(site)
    return {"canonical": canonical, "structured_data": structured_data, "head": head}


def render_site(session: Session, tenant: Tenant, path: str) -> Response:
    """The response to a GET of ``path`` on the tenant's site; a styled 404 when nothing is there.

    Also serves the tenant's colours and font as ``/theme.css`` (see ``theme.py``).
    """
    segments = [segment for segment in path.split("/") if segment]
    if segments == ["theme.css"]:
        return _stylesheet(site_theme(tenant, session))
    if segments == ["robots.txt"]:
        return seo.robots(site_url(tenant.subdomain))
    if len(segments) == 2 and segments[0] == "media":
        return _media_file(session, tenant, segments[1])
    if segments == [HOME_SLUG]:
        return redirect("/", code=301)
    now = datetime.now(UTC)
    site = _site(session, tenant, now)
    if segments == ["sitemap.xml"]:
        return seo.sitemap(session, site, now)
    view = _resolve(session, site, segments, now)
    status = 200
    if view is None:
        view, status = ("not_found.html", {"title": "Page not found"}), 404
    template, context = view
    current = "/" + "/".join(segments)
    if status == 200:
        context = {**context, **_seo(session, tenant, site, context, current)}
    html = render_template(
        f"site/{template}",
        site=site,
        current=current,
        year=now.year,
        paragraphs=paragraphs,
        markdown=markdown.render,
        long_date=long_date,
        product_image=product_image,
        **context,
    )
    return make_response(html, status)


def render_site_page(session: Session, tenant: Tenant, template: str, status: int = 200,
                     **context) -> Response:
    """Any template of the site (``site/<template>``) in the site's look: its layout,
    navigation and theme (the contact form's answers)."""
    now = datetime.now(UTC)
    html = render_template(
        f"site/{template}",
        site=_site(session, tenant, now),
        current="",
        year=now.year,
        paragraphs=paragraphs,
        markdown=markdown.render,
        long_date=long_date,
        product_image=product_image,
        **context,
    )
    return make_response(html, status)
