"""What a tenant's site tells search engines and sharing previews: ``/sitemap.xml``,
``/robots.txt``, canonical addresses, structured data (schema.org JSON-LD), and the ``<head>``
of each page (``head``: title, description, Open Graph and Twitter card).

Every address is absolute and built from the site's own address (``Urls.site``), never from
the request's Host. The sitemap lists what the site shows and nothing else: it asks the same
queries as the pages do, so unpublished pages, posts not yet published, pages and products
beyond the plan's limits and other tenants' content never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

from flask import Response, make_response
from sqlalchemy.orm import Session

from db.models import MediaFile, Page, Post
from plans.entitlements import kept
from tenants.scope import scoped
from tenants.site_content import HOME_SLUG, RESERVED_SLUGS
from web.public_site import queries

if TYPE_CHECKING:
    from web.public_site.render import Site

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"  # the sitemap's language alternates
ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
ROBOTS_CLOSED = "User-agent: *\nDisallow: /\n"
MAX_MEDIA_ID = 2**31 - 1  # media_files.id is a PostgreSQL integer
MAX_SHARED_WIDTH = 1600  # pixels; wider uploads are shared by their widest smaller copy


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


def alternates(site: Site, path: str) -> list[tuple[str, str]]:
    """(hreflang, absolute address) of ``path`` (unprefixed) in every language the site serves,
    and ``x-default`` (the default language, at the root); none for a site in one language."""
    if not site.multilingual:
        return []
    found = [(code, absolute(site.url, site.link_in(code, path))) for code in site.languages]
    return [*found, ("x-default", absolute(site.url, path))]


def sitemap(session: Session, site: Site, now: datetime) -> Response:
    """Every address the site shows, in each of its languages; on a site in several languages
    each entry names its alternates (``xhtml:link``, as search engines read them)."""
    attributes = {"xmlns": SITEMAP_NAMESPACE}
    if site.multilingual:
        attributes["xmlns:xhtml"] = XHTML_NAMESPACE
    urlset = ElementTree.Element("urlset", attributes)
    for path, lastmod in sitemap_entries(session, site, now):
        others = alternates(site, path)
        for code in site.languages:
            url = ElementTree.SubElement(urlset, "url")
            ElementTree.SubElement(url, "loc").text = absolute(site.url, site.link_in(code, path))
            if lastmod is not None:
                ElementTree.SubElement(url, "lastmod").text = lastmod
            for hreflang, href in others:
                ElementTree.SubElement(url, "xhtml:link", rel="alternate", hreflang=hreflang,
                                       href=href)
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


def blog_posting(site: Site, post: Post, canonical: str, image: SocialImage | None = None) -> dict:
    """schema.org BlogPosting for a post's page, with the image it is shared with."""
    posting = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "datePublished": _lastmod(post.published_at),
        "url": canonical,
        "mainEntityOfPage": canonical,
        "publisher": {"@type": "Organization", "name": site.company, "url": site.url},
        "author": {"@type": "Organization", "name": site.company, "url": site.url},
    }
    if image is not None:
        posting["image"] = image.url
    return posting


@dataclass(frozen=True)
class SocialImage:
    url: str  # absolute
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Head:
    """What the layout prints in ``<head>`` (Jinja escapes every value)."""
    title: str  # <title>
    description: str  # may be empty: then no description is printed
    og_title: str
    og_type: str  # "website" or "article"
    url: str  # canonical
    site_name: str
    image: SocialImage | None


def _largest(site: Site, row: MediaFile) -> SocialImage:
    """The largest copy of an image fit for sharing: the upload itself when it is at most
    ``MAX_SHARED_WIDTH`` wide (or has no smaller copies), else its widest smaller copy."""
    variants = [variant for variant in row.variants or []
                if isinstance(variant, dict) and isinstance(variant.get("storage_name"), str)]
    if variants and (row.width is None or row.width > MAX_SHARED_WIDTH):
        widest = max(variants, key=lambda variant: variant.get("width") or 0)
        return SocialImage(absolute(site.url, f"/media/{widest['storage_name']}"),
                           widest.get("width"), widest.get("height"))
    return SocialImage(absolute(site.url, f"/media/{row.storage_name}"), row.width, row.height)


def social_image(session: Session, site: Site, candidates: list) -> SocialImage | None:
    """The first of ``candidates`` (media ids, best first) that is one of the site's images
    within the plan's storage, in one query."""
    ids = [value for value in candidates
           if type(value) is int and 0 < value <= MAX_MEDIA_ID]
    if not ids:
        return None
    rows = {row.id: row for row in session.scalars(scoped(MediaFile, site.tenant_id).where(
        MediaFile.id.in_(ids), MediaFile.content_type.startswith("image/"),
        kept("media_mb", site.tenant_id, site.media_limit)))}
    found = next((rows[value] for value in ids if value in rows), None)
    return _largest(site, found) if found is not None else None


def head(session: Session, site: Site, settings: dict | None, title: str | None,
         item: Page | Post | None, canonical: str) -> Head:
    """The ``<head>`` of a page of the site. ``title`` is the page's own (None on the home
    page), ``item`` the page or post shown, if any.

    Title: the item's search title, else ``title · company``. Description: the item's search
    description, else the site's tagline. Image: the item's social image, else a post's cover,
    else the site's social image, else its logo, else none."""
    settings = settings if isinstance(settings, dict) else {}
    seo_title = getattr(item, "seo_title", None) or ""
    seo_description = getattr(item, "seo_description", None) or ""
    candidates = [getattr(item, "social_image_id", None), getattr(item, "cover_image_id", None),
                  settings.get("social_image_id"), settings.get("logo_media_id")]
    return Head(
        title=seo_title or (f"{title} · {site.company}" if title else site.company),
        description=seo_description or site.theme.tagline or "",
        og_title=seo_title or title or site.company,
        og_type="article" if isinstance(getattr(item, "row", item), Post) else "website",
        url=canonical,
        site_name=site.company,
        image=social_image(session, site, candidates),
    )
