"""What a tenant's site tells search engines: ``/sitemap.xml``, ``/robots.txt``, canonical
addresses and structured data (schema.org JSON-LD).

Every address is absolute and built from the site's own address (``Urls.site``), never from
the request's Host. The sitemap lists what the site shows and nothing else: it asks the same
queries as the pages do, so unpublished pages, posts not yet published, pages and products
beyond the plan's limits and other tenants' content never appear.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

from flask import Response, make_response
from sqlalchemy.orm import Session

from db.models import Page, Post
from tenants.site_content import HOME_SLUG, RESERVED_SLUGS
from web.public_site import queries

if TYPE_CHECKING:
    from web.public_site.render import Site

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
ROBOTS_CLOSED = "User-agent: *\nDisallow: /\n"


def absolute(site_url: str, path: str) -> str:
    """``('https://acme.contyzr.site/', '/blog/x')`` -> ``'https://acme.contyzr.site/blog/x'``."""
    return site_url.rstrip("/") + quote(path, safe="/-._~")


def _lastmod(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sitemap_entries(session: Session, site: Site, now: datetime) -> list[tuple[str, str | None]]:
    """(path, lastmod) of every address the site shows, the home page first."""
    tenant_id = site.tenant_id
    pages = [page for page in queries.live_pages(session, tenant_id, site.page_limit)
             if page.slug == HOME_SLUG or page.slug not in RESERVED_SLUGS]
    entries = [(_page_path(page), _lastmod(page.updated_at)) for page in pages]
    entries.sort(key=lambda entry: entry[0] != "/")
    if site.webshop:
        products = queries.active_products(session, tenant_id, site.product_limit)
        if products:
            entries.append(("/shop", None))
            entries += [(f"/shop/{product.slug}", None) for product in products]
    posts: list[Post] = queries.published_posts(session, tenant_id, now)
    if posts:
        entries.append(("/blog", _lastmod(posts[0].published_at)))
        entries += [(f"/blog/{post.slug}", _lastmod(post.published_at)) for post in posts]
    return entries


def _page_path(page: Page) -> str:
    return "/" if page.slug == HOME_SLUG else f"/{page.slug}"


def sitemap(session: Session, site: Site, now: datetime) -> Response:
    urlset = ElementTree.Element("urlset", xmlns=SITEMAP_NAMESPACE)
    for path, lastmod in sitemap_entries(session, site, now):
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = absolute(site.url, path)
        if lastmod is not None:
            ElementTree.SubElement(url, "lastmod").text = lastmod
    body = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    response = make_response(body)
    response.mimetype = "application/xml"
    return response


def robots(site_url: str | None) -> Response:
    """Everything may be indexed on a live site (``site_url`` given, named with its sitemap);
    nothing on a suspended or closed one (``site_url`` None)."""
    text = ROBOTS_CLOSED if site_url is None else (
        f"{ROBOTS_OPEN}\nSitemap: {absolute(site_url, '/sitemap.xml')}\n")
    response = make_response(text)
    response.mimetype = "text/plain"
    return response


def organization(site: Site) -> dict:
    """schema.org Organization for the home page."""
    data = {"@context": "https://schema.org", "@type": "Organization", "name": site.company,
            "url": site.url}
    if site.theme.tagline:
        data["description"] = site.theme.tagline
    return data


def blog_posting(site: Site, post: Post, canonical: str) -> dict:
    """schema.org BlogPosting for a post's page."""
    return {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "datePublished": _lastmod(post.published_at),
        "url": canonical,
        "mainEntityOfPage": canonical,
        "publisher": {"@type": "Organization", "name": site.company, "url": site.url},
        "author": {"@type": "Organization", "name": site.company, "url": site.url},
    }
