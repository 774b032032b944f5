"""The writing assistant in the editors, against the local OpenAI-compatible API: the page,
block, post and product editors offer it under their fields; a proposal put into a field and
saved is marked in the item's revision history, and only a request of the tenant's own that was
answered in full can be; every save keeps a revision; the tone chosen in the settings is the
one the assistant is told to write in."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import func, select
from test_assistant_page import events, propose

from db.models import AssistantRequest, Page, Post, Product, Revision, User
from db.models.revisions import Change
from tenants import pages, revisions
from tenants.assistant.prompts import MAX_TEXT

import factories
from support import csrf_token

TEXT_PAGE = [{"type": "text", "data": {"heading": "Over ons", "body": "Wij bakken brood."}},
             {"type": "faq", "data": {"heading": "Vragen", "items": [
                 {"question": "Wanneer open?", "answer": "Elke dag."}]}}]


def text(response) -> str:
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def post_form(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/portal/pages"), **data})


def a_page(db_session, tenant) -> Page:
    page = Page(tenant_id=tenant.id, slug="over-ons", title="Over ons", position=50, blocks=TEXT_PAGE)
    db_session.add(page)
    db_session.flush()
    return page


def drafted(client, ai, content: str) -> int:
    """A proposal the assistant wrote: its request's id."""
    httpx.post(f"{ai.url}/_test/replies", json={"content": content})
    [*_, (name, done)] = events(propose(client, action="draft", text="Een tekst over ons"))
    assert name == "done"
    return done["request"]


def saved_in(db_session, request_id: int) -> int | None:
    db_session.expire_all()
    return db_session.get(AssistantRequest, request_id).revision_id


def test_a_proposal_saved_in_a_block_is_marked_in_the_history(ai, client, db_session, enterprise):
    page = a_page(db_session, enterprise)
    editor = client.get(f"/portal/pages/{page.id}/blocks/0").get_data(as_text=True)
    assert 'class="assistant-tools field" data-field="body"' in editor  # under the text field
    faq = client.get(f"/portal/pages/{page.id}/blocks/1").get_data(as_text=True)
    assert 'data-field="items-0-answer"' in faq  # and under an item's long text
    request_id = drafted(client, ai, "Sinds 1952 bakken wij elke ochtend vers brood.")
    assert saved_in(db_session, request_id) is None  # proposed only: nothing saved
    db_session.expire_all()
    assert db_session.get(Page, page.id).blocks == TEXT_PAGE

    response = post_form(client, f"/portal/pages/{page.id}/blocks/0", heading="Over ons",
                         body="Sinds 1952 bakken wij elke ochtend vers brood. Kom proeven!",
                         assistant_request=str(request_id))
    assert response.status_code == 303
    revision = db_session.get(Revision, saved_in(db_session, request_id))
    assert revision.page_id == page.id and revision.change == Change.BLOCK
    assert revision.content["blocks"][0]["data"]["body"].endswith("Kom proeven!")
    history = text(client.get(f"/portal/pages/{page.id}"))
    assert f"{enterprise.owner_email} · Text block saved written with the assistant" in history


def test_only_the_tenants_own_answered_requests_are_marked(app, ai, client, db_session, enterprise):
    page = a_page(db_session, enterprise)
    other = factories.tenant(app, db_session, plan="enterprise")
    theirs = AssistantRequest(tenant_id=other.id, action="draft", model="m", status="done")
    failed = AssistantRequest(tenant_id=enterprise.id, action="draft", model="m", status="failed")
    pending = AssistantRequest(tenant_id=enterprise.id, action="draft", model="m")
    db_session.add_all([theirs, failed, pending])
    db_session.flush()
    earlier = drafted(client, ai, "Eerder voorstel.")
    post_form(client, f"/portal/pages/{page.id}/blocks/0", heading="Over ons", body="Eerder voorstel.",
              assistant_request=str(earlier))
    first = saved_in(db_session, earlier)

    response = client.post(f"/portal/pages/{page.id}/blocks/0", data={
        "csrf_token": csrf_token(client, "/portal/pages"), "heading": "Over ons", "body": "Eigen tekst.",
        "assistant_request": [str(theirs.id), str(failed.id), str(pending.id), str(earlier), "abc",
                              "99999999999"]})
    assert response.status_code == 303
    for request_id in (theirs.id, failed.id, pending.id):
        assert saved_in(db_session, request_id) is None
    assert saved_in(db_session, earlier) == first  # saved once, in its first revision
    latest = revisions.history(db_session, db_session.get(Page, page.id))[0]
    assert latest.change == Change.BLOCK and not latest.assisted


def test_posts_products_and_translations_keep_their_revisions(app, ai, client, db_session, enterprise):
    enterprise.languages, enterprise.language = ["nl", "en"], "nl"
    page = a_page(db_session, enterprise)
    editor = client.get(f"/portal/pages/{page.id}").get_data(as_text=True)
    assert 'data-field="seo_description"' in editor and 'data-action="meta"' in editor
    assert "Wanneer open?" in editor  # the page's words are what a meta description is made from

    request_id = drafted(client, ai, "De bakker van Utrecht.")
    response = post_form(client, "/portal/posts/new", title="Nieuws", body="De bakker van Utrecht.",
                         publish="draft", assistant_request=str(request_id))
    assert response.status_code == 303
    post = db_session.scalar(select(Post).where(Post.tenant_id == enterprise.id, Post.title == "Nieuws"))
    form = client.get(f"/portal/posts/{post.id}")
    page_html = form.get_data(as_text=True)
    assert 'data-field="body"' in page_html and 'data-source="body"' in page_html
    assert "Post saved written with the assistant" in text(form)

    response = post_form(client, "/portal/products/new", name="Brood", price="3,50", vat_rate="9",
                         description="Vers.", active="y")
    assert response.status_code == 303
    product = db_session.scalar(select(Product).where(Product.tenant_id == enterprise.id))
    form = client.get(f"/portal/products/{product.id}")
    assert 'data-field="description"' in form.get_data(as_text=True)
    assert "Product saved" in text(form) and "written with the assistant" not in text(form)

    response = post_form(client, f"/portal/pages/{page.id}/translations/en", title="About us",
                         **{"block-0-heading": "About us", "block-0-body": "We bake bread."})
    assert response.status_code == 303
    assert "English translation saved" in text(client.get(f"/portal/pages/{page.id}"))
    [revision] = db_session.scalars(select(Revision).where(Revision.page_id == page.id))
    assert revision.language == "en" and revision.content["title"] == "About us"


def test_only_the_latest_revisions_of_an_item_are_kept(db_session, enterprise):
    page = a_page(db_session, enterprise)
    owner = db_session.scalar(select(User).where(User.tenant_id == enterprise.id))
    for number in range(revisions.KEEP + 5):
        page.title = f"Versie {number}"
        revisions.record(db_session, owner.id, page, Change.SETTINGS)
    kept = db_session.scalars(select(Revision.content).where(Revision.page_id == page.id)
                              .order_by(Revision.id)).all()
    assert len(kept) == revisions.KEEP and kept[0]["title"] == "Versie 5"
    assert [entry.change for entry in revisions.history(db_session, page)] == [Change.SETTINGS] * 20
    db_session.delete(page)
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(Revision).where(
        Revision.tenant_id == enterprise.id)) == 0  # the history goes with its page


def test_the_page_text_the_assistant_reads_has_its_words_and_no_links(db_session, enterprise):
    page = a_page(db_session, enterprise)
    page.blocks = [*TEXT_PAGE, {"type": "cta", "data": {"heading": "Bel ons", "body": "",
                                                         "button_label": "Bellen",
                                                         "button_link": "/contact"}}]
    assert pages.plain_text(page, MAX_TEXT) == ("Over ons\nOver ons\nWij bakken brood.\nVragen\n"
                                                "Wanneer open?\nElke dag.\nBel ons\nBellen")
    assert pages.plain_text(page, 10) == "Over ons\nO"


def test_the_tone_chosen_in_the_settings_is_the_assistants(ai, client, db_session, enterprise):
    settings = client.get("/portal/settings").get_data(as_text=True)
    assert 'name="assistant_tone"' in settings
    response = post_form(client, "/portal/settings", common_time_zone="Europe/Amsterdam",
                         assistant_tone="formal")
    assert response.status_code == 303
    db_session.expire_all()
    assert enterprise.site_settings["assistant_tone"] == "formal"
    drafted(client, ai, "Geachte klant.")
    [sent] = httpx.get(f"{ai.url}/_test/requests").json()
    assert "in a formal tone" in sent["body"]["messages"][1]["content"]

    response = post_form(client, "/portal/settings", common_time_zone="Europe/Amsterdam",
                         assistant_tone="sarcastic")
    assert response.status_code == 422 and "Choose one of the tones" in text(response)
    db_session.expire_all()
    assert enterprise.site_settings["assistant_tone"] == "formal"


def test_a_plan_without_the_assistant_has_no_tone_to_choose(app, client, db_session, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    assert 'name="assistant_tone"' not in client.get("/portal/settings").get_data(as_text=True)
    response = post_form(client, "/portal/settings", common_time_zone="Europe/Amsterdam",
                         assistant_tone="formal")
    assert response.status_code == 303
    db_session.expire_all()
    assert "assistant_tone" not in (tenant.site_settings or {})
