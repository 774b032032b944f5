"""The page editor: pages, blocks, preview, publishing, the page limit, other tenants' pages."""

import html
import re

import pytest
from sqlalchemy import func, select

from db.models import Page
from tenants.site_content import BLOCK_FIELDS
from worker.services import services

import factories
from support import csrf_token


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def site_get(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def page_count(db_session, tenant) -> int:
    return db_session.scalar(select(func.count()).select_from(Page).where(Page.tenant_id == tenant.id))


@pytest.fixture
def portal(owner_client):
    """The owner's client with ``post(url, **data)``, CSRF token included."""
    token = csrf_token(owner_client, "/portal/pages/new")

    def post(url, follow=False, **data):
        return owner_client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    owner_client.post_form = post
    return owner_client


def create_page(portal, title, slug=""):
    response = portal.post_form("/portal/pages/new", title=title, slug=slug)
    assert response.status_code == 303, text(response)
    return response.headers["Location"]


def test_create_edit_publish_unpublish_and_delete_a_page(portal, db_session):
    tenant = portal.tenant
    assert "About us" in text(portal.get("/portal/pages"))  # the template's pages
    editor = create_page(portal, "Our team")
    listing = text(portal.get("/portal/pages"))
    assert "Our team /our-team Draft 0" in listing

    response = portal.post_form(f"{editor}/blocks", type="hero")
    assert response.status_code == 303 and response.headers["Location"].endswith("/blocks/0")
    response = portal.post_form(f"{editor}/blocks/0", heading="Meet the team", subheading="Since 1999",
                                button_label="Write to us", button_link="/contact")
    assert response.status_code == 303
    assert "Hero: Meet the team" in text(portal.get(editor))

    preview = portal.get(f"{editor}/preview")
    assert preview.status_code == 200 and "Meet the team" in text(preview)
    assert 'href="/contact">Write to us</a>' in preview.get_data(as_text=True)
    assert site_get(portal, tenant, "/our-team").status_code == 404  # a preview publishes nothing

    assert portal.post(f"{editor}/publish").status_code == 400  # no CSRF token: nothing changes
    assert site_get(portal, tenant, "/our-team").status_code == 404
    assert portal.post_form(f"{editor}/publish").status_code == 303
    public = site_get(portal, tenant, "/our-team")
    assert public.status_code == 200 and "Meet the team" in text(public)
    assert "Our team /our-team Published 1" in text(portal.get("/portal/pages"))

    response = portal.post_form(editor, title="The team", slug="team", in_navigation="y")
    assert response.status_code == 303
    assert "The team" in text(site_get(portal, tenant, "/team"))
    assert site_get(portal, tenant, "/our-team").status_code == 404

    assert portal.post_form(f"{editor}/unpublish").status_code == 303
    assert site_get(portal, tenant, "/team").status_code == 404

    response = portal.post_form(f"{editor}/delete", follow=True)
    assert "Page “The team” is deleted." in text(response) and "/team" not in text(response)


def test_page_form_explains_what_is_wrong_and_keeps_the_values(portal, db_session):
    before = page_count(db_session, portal.tenant)
    cases = [
        ({"title": "", "slug": "fine"}, "Give the page a title."),
        ({"title": "Prices", "slug": "Our prices!"}, "Use lowercase letters, digits and single hyphens."),
        ({"title": "About", "slug": "about"}, "Another page already has the address /about."),
        ({"title": "Shop", "slug": "shop"}, "'/shop' is kept for the site's shop."),
    ]
    for data, message in cases:
        response = portal.post_form("/portal/pages/new", **data)
        assert response.status_code == 422 and message in text(response)
        assert f'value="{data["title"]}"' in response.get_data(as_text=True) or not data["title"]
    assert page_count(db_session, portal.tenant) == before

    editor = create_page(portal, "Prices")
    response = portal.post_form(editor, title="Prices", slug="contact")
    assert response.status_code == 422 and "Another page already has the address /contact." in text(response)


def test_block_fields_are_checked_and_list_items_edited_as_repeated_fields(portal):
    editor = create_page(portal, "Offer")
    portal.post_form(f"{editor}/blocks", type="cta")
    response = portal.post_form(f"{editor}/blocks/0", heading="Ready?", body="", button_label="Go",
                                button_link="javascript:alert(1)")
    assert response.status_code == 422
    assert "Start the link with /, #, https://, http://, mailto:, tel: (like /contact)." in text(response)
    assert 'value="javascript:alert(1)"' in response.get_data(as_text=True)  # kept to correct
    assert "Ready?" not in text(portal.get(f"{editor}/preview"))  # nothing was saved

    portal.post_form(f"{editor}/blocks", type="faq")
    form = text(portal.get(f"{editor}/blocks/1"))
    assert "Item 1" in form and "Question" in form and "Answer" in form
    response = portal.post_form(f"{editor}/blocks/1", heading="Questions", **{
        "items-0-question": "", "items-0-answer": ""})
    assert response.status_code == 422 and "Add at least one item." in text(response)
    response = portal.post_form(f"{editor}/blocks/1", heading="Questions", **{
        "items-0-question": "Open on Sunday?", "items-0-answer": "No.",
        "items-1-question": "", "items-1-answer": "",
        "items-2-question": "Do you deliver?", "items-2-answer": "Yes."})
    assert response.status_code == 303
    form = text(portal.get(f"{editor}/blocks/1"))
    assert "Item 3" in form and "Item 4" not in form  # two kept, one empty to add another
    preview = text(portal.get(f"{editor}/preview"))
    assert preview.index("Open on Sunday?") < preview.index("Do you deliver?")

    portal.post_form(f"{editor}/blocks", type="products")
    response = portal.post_form(f"{editor}/blocks/2", heading="Ours", limit="99")
    assert response.status_code == 422 and "Show from 1 to 24 products." in text(response)
    response = portal.post_form(f"{editor}/blocks/2", heading="Ours", limit="many")
    assert response.status_code == 422 and "Not a valid integer value." in text(response)
    response = portal.post_form(f"{editor}/blocks/1", heading="Half an item", **{"items-7-answer": "Yes."})
    assert response.status_code == 422 and "Item 1 is missing the text field 'question'." in text(response)


def test_every_block_type_can_be_added_edited_and_shown(portal):
    editor = create_page(portal, "Everything")
    for number, block_type in enumerate(BLOCK_FIELDS):
        assert portal.post_form(f"{editor}/blocks", type=block_type).status_code == 303
        assert portal.get(f"{editor}/blocks/{number}").status_code == 200
    assert portal.post_form(f"{editor}/blocks", type="carousel").status_code == 422
    portal.post_form(f"{editor}/publish")
    assert site_get(portal, portal.tenant, "/everything").status_code == 200


def test_moving_and_deleting_blocks_changes_the_published_page(portal):
    editor = create_page(portal, "Story")
    for heading in ("First part", "Second part", "Third part"):
        index = len(re.findall("<li>", portal.get(editor).get_data(as_text=True)))
        portal.post_form(f"{editor}/blocks", type="text")
        portal.post_form(f"{editor}/blocks/{index}", heading=heading, body="Some words.")
    portal.post_form(f"{editor}/publish")

    def order():
        page = text(site_get(portal, portal.tenant, "/story"))
        return sorted(("First part", "Second part", "Third part"), key=page.index)

    assert order() == ["First part", "Second part", "Third part"]
    assert portal.post_form(f"{editor}/blocks/2/move-up").status_code == 303
    assert order() == ["First part", "Third part", "Second part"]
    portal.post_form(f"{editor}/blocks/0/move-down")
    portal.post_form(f"{editor}/blocks/0/move-up")  # already first: stays
    assert order() == ["Third part", "First part", "Second part"]
    portal.post_form(f"{editor}/blocks/1/delete")
    page = text(site_get(portal, portal.tenant, "/story"))
    assert "First part" not in page and page.index("Third part") < page.index("Second part")
    assert portal.post_form(f"{editor}/blocks/2/delete").status_code == 404


def test_page_limit_refuses_the_eleventh_page_and_keeps_existing_pages_editable(
        portal, db_session, app, monkeypatch):
    tenant = portal.tenant
    seeded = page_count(db_session, tenant)
    assert 0 < seeded < 10  # Starter allows 10 pages; the corporate template seeds a few
    for number in range(10 - seeded):
        create_page(portal, f"Extra {number}")
    response = portal.post_form("/portal/pages/new", follow=True, title="One too many", slug="")
    assert ("You have reached your plan's limit of 10 pages. Nothing was created. "
            "Upgrade your plan in billing to get more.") in text(response)
    assert page_count(db_session, tenant) == 10
    assert "One too many" not in text(portal.get("/portal/pages"))

    # After a downgrade to fewer pages than it has, the tenant keeps and edits what it has.
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "pages", 3)
    about = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == "about"))
    response = portal.post_form(f"/portal/pages/{about.id}", title="About", slug="about", in_navigation="y")
    assert response.status_code == 303
    assert "About /about Published" in text(portal.get("/portal/pages"))
    response = portal.post_form("/portal/pages/new", follow=True, title="Another")
    assert "limit of 3 pages. Nothing was created." in text(response)
    assert page_count(db_session, tenant) == 10


def test_another_tenants_page_is_not_found_at_any_address(portal, app, db_session):
    other = factories.tenant(app, db_session)
    page = db_session.scalar(select(Page).where(Page.tenant_id == other.id, Page.slug == "home"))
    base = f"/portal/pages/{page.id}"
    for url in (base, f"{base}/preview", f"{base}/blocks/0"):
        assert portal.get(url).status_code == 404, url
    for url in (base, f"{base}/publish", f"{base}/unpublish", f"{base}/delete", f"{base}/blocks",
                f"{base}/blocks/0", f"{base}/blocks/1/move-up", f"{base}/blocks/0/delete"):
        assert portal.post_form(url, title="Mine", slug="mine", type="text").status_code == 404, url
    db_session.refresh(page)
    assert page.title == "Home" and page.published and len(page.blocks) > 1
    assert portal.get("/portal/pages/99999999").status_code == 404
    assert portal.get("/portal/pages/1/blocks/999").status_code == 404


def test_a_new_block_left_empty_is_never_shown_on_the_site(portal):
    editor = create_page(portal, "Opening")
    portal.post_form(f"{editor}/blocks", type="hero")  # added, then left without saving
    portal.post_form(f"{editor}/blocks", type="faq")
    portal.post_form(f"{editor}/blocks", type="text")
    portal.post_form(f"{editor}/blocks/2", heading="Hours", body="Open from nine.")
    assert "Hero: empty, not shown on your site" in text(portal.get(editor))
    assert portal.post_form(f"{editor}/publish").status_code == 303
    public = site_get(portal, portal.tenant, "/opening").get_data(as_text=True)
    assert "Open from nine." in public
    assert "block-hero" not in public and "block-faq" not in public
    assert '<h1 class="visually-hidden">Opening</h1>' in public  # no hero stands in for it

    # Filled in, the block is shown.
    portal.post_form(f"{editor}/blocks/0", heading="Welcome", subheading="", button_label="",
                     button_link="")
    assert "block-hero" in site_get(portal, portal.tenant, "/opening").get_data(as_text=True)


def test_cancelling_a_new_block_removes_it(portal, db_session):
    editor = create_page(portal, "Prices")
    portal.post_form(f"{editor}/blocks", type="cta")
    form = portal.get(f"{editor}/blocks/0").get_data(as_text=True)
    cancel = re.search(r'<button[^>]*formaction="([^"]+)"[^>]*>Cancel</button>', form, re.S)
    assert cancel and cancel[1] == f"{editor}/blocks/0/delete"
    assert portal.post_form(cancel[1]).status_code == 303
    page = db_session.scalar(select(Page).where(Page.slug == "prices",
                                                Page.tenant_id == portal.tenant.id))
    db_session.refresh(page)
    assert page.blocks == []

    # A block with content keeps the plain Cancel link: leaving the form changes nothing.
    portal.post_form(f"{editor}/blocks", type="text")
    portal.post_form(f"{editor}/blocks/0", heading="Prices", body="From ten euros.")
    form = portal.get(f"{editor}/blocks/0").get_data(as_text=True)
    assert "formaction" not in form and f'<a href="{editor}">Cancel</a>' in form


def test_products_and_contact_form_blocks_show_without_text(portal):
    editor = create_page(portal, "Write")
    portal.post_form(f"{editor}/blocks", type="contact_form")
    portal.post_form(f"{editor}/publish")
    public = site_get(portal, portal.tenant, "/write").get_data(as_text=True)
    assert "block-contact" in public
