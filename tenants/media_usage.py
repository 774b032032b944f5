"""Where a media file is used on its tenant's site, in words an owner understands.

A file is used by id (image blocks, the image columns of pages and posts, the site's logo,
icon and sharing image in ``Tenant.site_settings``) and by address, ``/media/<storage name>``
of the file or one of its smaller copies (images put into a text, a product's photos).
``forget`` clears the references no foreign key clears, when the file is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Text, cast, or_
from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Page, Post, Product, Tenant
from tenants.scope import get_scoped, scoped

# Each place as a whole phrase marked for translation (``db.messages``).
IMAGE_BLOCKS = {"image": N_('page "%(title)s" (image block)'),
                "image_with_text": N_('page "%(title)s" (image with text block)')}
IMAGE_IN_BLOCK = {
    "hero": N_('page "%(title)s" (image in a hero block)'),
    "text": N_('page "%(title)s" (image in a text block)'),
    "features": N_('page "%(title)s" (image in a features block)'),
    "testimonials": N_('page "%(title)s" (image in a testimonials block)'),
    "cta": N_('page "%(title)s" (image in a cta block)'),
    "faq": N_('page "%(title)s" (image in a faq block)'),
    "contact_form": N_('page "%(title)s" (image in a contact form block)'),
    "products": N_('page "%(title)s" (image in a products block)'),
    "image": N_('page "%(title)s" (image in an image block)'),
    "image_with_text": N_('page "%(title)s" (image in an image with text block)'),
}
IMAGE_IN_OTHER_BLOCK = N_('page "%(title)s" (image in a block)')
SITE_SETTINGS = {
    "logo_media_id": N_("the site logo"),
    "favicon_media_id": N_("the site icon (favicon)"),
    "social_image_id": N_("the site's sharing image"),
}


def _same_id(value, media_id: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == media_id
    return isinstance(value, str) and value.strip().isdigit() and int(value) == media_id


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _mentions(value, addresses: list[str]) -> bool:
    return any(address in text for text in _strings(value) for address in addresses)


def _page_usages(page: Page, media_id: int, addresses: list[str]) -> list[str]:
    found = []
    for block in page.blocks or ():
        if not isinstance(block, dict):
            continue
        kind, data = block.get("type"), block.get("data")
        if not isinstance(data, dict):
            continue
        if kind in IMAGE_BLOCKS and _same_id(data.get("media_id"), media_id):
            found.append(Message(IMAGE_BLOCKS[kind], title=page.title))
        elif _mentions(data, addresses):
            found.append(Message(IMAGE_IN_BLOCK.get(kind, IMAGE_IN_OTHER_BLOCK), title=page.title))
    if page.social_image_id == media_id:
        found.append(Message(N_('page "%(title)s" (sharing image)'), title=page.title))
    return found


def _post_usages(post: Post, media_id: int, addresses: list[str]) -> list[str]:
    found = []
    if post.cover_image_id == media_id:
        found.append(Message(N_('post "%(title)s" (cover image)'), title=post.title))
    if _mentions(post.body, addresses):
        found.append(Message(N_('post "%(title)s" (image in the text)'), title=post.title))
    if post.social_image_id == media_id:
        found.append(Message(N_('post "%(title)s" (sharing image)'), title=post.title))
    return found


def _contains_any(column, addresses: list[str]):
    return or_(*(column.contains(address, autoescape=True) for address in addresses))


def usages(session: Session, tenant_id: int, media_id: int) -> list[str]:
    """Every place on the site that shows the tenant's file ``media_id``, e.g.
    ``['page "Home" (image block)', 'post "Opening" (cover image)', 'the site logo']``;
    empty when it is used nowhere (or is not the tenant's)."""
    row = get_scoped(session, MediaFile, tenant_id, media_id)
    if row is None:
        return []
    names = [row.storage_name, *(variant["storage_name"] for variant in row.variants or ())]
    addresses = [f"/media/{name}" for name in names]
    found: list[str] = []
    pages = session.scalars(scoped(Page, tenant_id).where(or_(
        Page.social_image_id == media_id,
        cast(Page.blocks, Text).contains('"media_id"'),
        _contains_any(cast(Page.blocks, Text), addresses),
    )).order_by(Page.position, Page.id))
    for page in pages:
        found += _page_usages(page, media_id, addresses)
    posts = session.scalars(scoped(Post, tenant_id).where(or_(
        Post.cover_image_id == media_id, Post.social_image_id == media_id,
        _contains_any(Post.body, addresses),
    )).order_by(Post.id))
    for post in posts:
        found += _post_usages(post, media_id, addresses)
    products = session.scalars(scoped(Product, tenant_id).where(
        _contains_any(cast(Product.images, Text), addresses)).order_by(Product.name, Product.id))
    for product in products:
        if _mentions(product.images, addresses):
            found.append(Message(N_('product "%(name)s" (photo)'), name=product.name))
    tenant = session.get(Tenant, tenant_id)
    settings = (tenant.site_settings or {}) if tenant is not None else {}
    found += [words for key, words in SITE_SETTINGS.items() if _same_id(settings.get(key), media_id)]
    return list(dict.fromkeys(found))


def forget(session: Session, row: MediaFile) -> None:
    """Clear the references to the file ``row`` that no foreign key clears, before it is
    deleted: image blocks keep their place with ``media_id`` null (the page editor then asks
    for a new image; the site leaves the block out), the site settings drop it, products drop
    its addresses from their photos. Images put into a text by address stay: the site shows a
    missing image as nothing."""
    tenant_id, media_id = row.tenant_id, row.id
    addresses = [f"/media/{name}" for name in
                 [row.storage_name, *(variant["storage_name"] for variant in row.variants or ())]]
    pages = session.scalars(scoped(Page, tenant_id).where(
        cast(Page.blocks, Text).contains('"media_id"')))
    for page in pages:
        blocks = [_without_image(block, media_id) for block in page.blocks or ()]
        if blocks != page.blocks:
            page.blocks = blocks
    products = session.scalars(scoped(Product, tenant_id).where(
        _contains_any(cast(Product.images, Text), addresses)))
    for product in products:
        images = [image for image in product.images or () if image not in addresses]
        if images != product.images:
            product.images = images
    tenant = session.get(Tenant, tenant_id)
    settings = (tenant.site_settings or {}) if tenant is not None else {}
    kept = {key: value for key, value in settings.items()
            if not (key in SITE_SETTINGS and _same_id(value, media_id))}
    if kept != settings:
        tenant.site_settings = kept


def _without_image(block, media_id: int):
    """The block, with its image emptied when it is an image block showing ``media_id``."""
    if not isinstance(block, dict) or block.get("type") not in IMAGE_BLOCKS:
        return block
    data = block.get("data")
    if not isinstance(data, dict) or not _same_id(data.get("media_id"), media_id):
        return block
    return {**block, "data": {**data, "media_id": None}}
