"""Translating a whole page with the assistant from the translation screen: every original
text is sent once, each under its field's ``[[name]]`` line, and the answer is read back by
name for the screen to put in its fields. An answer that cannot be read back is a failed
request (not counted), a bad ``fields`` value is refused before anything is sent, and nothing
is saved by proposing."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select
from test_assistant_page import events, propose, requests_of

from db.models import Page, PageTranslation
from db.models.assistant import RequestStatus
from tenants.assistant import prompts
from tenants.assistant.prompts import BadBrief

ORIGINALS = {"title": "Over ons", "block-0-heading": "Welkom bij de bakker",
             "block-1-body": "Wij bakken **elke ochtend** vers brood.\n\nKom proeven!"}
TRANSLATED = {"title": "About us", "block-0-heading": "Welcome to the baker",
              "block-1-body": "We bake fresh bread **every morning**.\n\nCome and taste!"}


@pytest.fixture
def bilingual(db_session, enterprise):
    """The Enterprise site (tests/assistant/conftest.py) in Dutch that also speaks English."""
    enterprise.languages, enterprise.language = ["nl", "en"], "nl"
    db_session.flush()
    return enterprise


@pytest.fixture
def page(db_session, bilingual) -> Page:
    page = Page(tenant_id=bilingual.id, slug="over-ons", title="Over ons", published=True,
                position=60, blocks=[
                    {"type": "hero", "data": {"heading": "Welkom bij de bakker", "subheading": "",
                                              "button_label": "", "button_link": ""}},
                    {"type": "text", "data": {"heading": "", "body": ORIGINALS["block-1-body"]}}])
    db_session.add(page)
    db_session.flush()
    return page


def answer_of(texts: dict[str, str]) -> str:
    return "\n\n".join(f"[[{name}]]\n{text}" for name, text in texts.items())


def translate(client, fields, target="en"):
    return propose(client, action="translate", target=target,
                   fields=fields if isinstance(fields, str) else json.dumps(fields))


def test_the_translation_screen_has_the_panel(client, page):
    screen = client.get(f"/portal/pages/{page.id}/translations/en").get_data(as_text=True)
    assert 'id="assistant-translate"' in screen and "Translate with the assistant" in screen
    assert screen.index("assistant.js") < screen.index("assistant_translate.js")
    assert 'data-target="en"' in screen and 'data-csrf="' in screen
    assert 'id="translation-form"' in screen
    assert 'data-original="Welkom bij de bakker"' in screen


def test_a_page_is_translated_field_by_field_and_nothing_is_saved(ai, client, db_session, bilingual, page):
    httpx.post(f"{ai.url}/_test/replies", json={"content": answer_of(TRANSLATED)})
    response = translate(client, {**ORIGINALS, "seo_title": "", "block-0-subheading": "  "})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    found = events(response)
    [sent] = httpx.get(f"{ai.url}/_test/requests").json()
    assert "Translate each text below into English" in sent["body"]["messages"][1]["content"]
    material = sent["body"]["messages"][2]["content"]
    assert material == "<material>\n" + answer_of(ORIGINALS) + "\n</material>"
    assert "seo_title" not in material and "subheading" not in material  # empty texts stay home
    name, done = found[-1]
    assert name == "done" and done["fields"] == TRANSLATED
    assert done["text"] == "".join(data["text"] for name, data in found if name == "message")
    [made] = requests_of(db_session, bilingual)
    assert made.status == RequestStatus.DONE and made.action == "translate" and done["request"] == made.id
    assert db_session.scalar(select(PageTranslation).where(PageTranslation.page_id == page.id)) is None


def test_names_the_answer_left_out_or_made_up_are_not_sent_back(ai, client, page):
    httpx.post(f"{ai.url}/_test/replies", json={"content": "[[block-0-heading]]\nWelcome\n[[nope]]\nx"})
    name, done = events(translate(client, ORIGINALS))[-1]
    assert name == "done" and done["fields"] == {"block-0-heading": "Welcome"}


def test_an_answer_without_the_markers_is_a_failed_request(ai, client, db_session, bilingual, page):
    httpx.post(f"{ai.url}/_test/replies", json={"content": "About us. Welcome to the baker."})
    name, data = events(translate(client, ORIGINALS))[-1]
    assert name == "error" and "broke off" in data["message"]
    [made] = requests_of(db_session, bilingual)
    assert made.status == RequestStatus.FAILED  # not counted
    assert db_session.scalar(select(PageTranslation).where(PageTranslation.page_id == page.id)) is None


@pytest.mark.parametrize("fields", ["not json", "", json.dumps(["Over ons"]), json.dumps({"title": 3}),
                                    json.dumps({"title\n[[x]]": "Over ons"}),
                                    json.dumps({"bad name": "Over ons"}), json.dumps({"": "x"})])
def test_fields_that_are_not_texts_by_name_get_400(ai, client, db_session, bilingual, page, fields):
    response = translate(client, fields)
    assert response.status_code == 400 and "could not be read" in response.json["error"]
    assert requests_of(db_session, bilingual) == []
    assert httpx.get(f"{ai.url}/_test/requests").json() == []


@pytest.mark.parametrize(("fields", "words"), [
    ({"title": "x" * 7000, "block-1-body": "y" * 5000}, "longer than 12,000"),
    ({"title": "", "block-1-body": " "}, "Nothing was sent"),
    ({}, "Nothing was sent")])
def test_too_long_or_nothing_to_translate_gets_400(ai, client, db_session, bilingual, page, fields, words):
    response = translate(client, fields)
    assert response.status_code == 400 and words in response.json["error"]
    assert requests_of(db_session, bilingual) == []


def test_a_language_the_site_does_not_have_gets_400(ai, client, db_session, bilingual, page):
    assert translate(client, ORIGINALS, target="de").status_code == 400
    assert requests_of(db_session, bilingual) == []


def test_the_single_text_translation_still_answers_without_fields(ai, client, page):
    httpx.post(f"{ai.url}/_test/replies", json={"content": "About us"})
    name, done = events(propose(client, action="translate", target="en", text="Over ons"))[-1]
    assert name == "done" and done["text"] == "About us" and "fields" not in done


# parse_fields and the format, on their own


def test_parse_fields_reads_each_text_by_name_in_any_order():
    answer = "[[b]]\n  Second  \n\n[[a]]\nFirst line\n\nsecond line\n"
    assert prompts.parse_fields(answer, ["a", "b"]) == {"b": "Second", "a": "First line\n\nsecond line"}


def test_parse_fields_ignores_unknown_names_missing_names_and_text_before_the_first():
    answer = "Here is the translation:\n[[a]]\nOne\n[[zz]]\nnot asked for\n  [[c]]  \n\t\n"
    assert prompts.parse_fields(answer, ["a", "b", "c"]) == {"a": "One"}
    assert prompts.parse_fields("no markers at all", ["a"]) == {}
    assert prompts.parse_fields("", ["a"]) == {}


def test_parse_fields_keeps_the_first_of_a_name_given_twice_and_inline_brackets():
    answer = "[[a]]\nSee [[a]] here\n[[a]]\nagain"
    assert prompts.parse_fields(answer, ["a"]) == {"a": "See [[a]] here"}


def test_fields_material_lists_the_texts_under_their_names():
    assert prompts.fields_material({"title": " Over ons ", "seo_title": "", "block-0-item-1-answer": "Ja"}) \
        == "<material>\n[[title]]\nOver ons\n\n[[block-0-item-1-answer]]\nJa\n</material>"
    for bad in ({"a b": "x"}, {"[[a]]": "x"}, {"a": 1}):
        with pytest.raises(BadBrief) as refused:
            prompts.fields_material(bad)
        assert refused.value.kind == "fields"
    with pytest.raises(BadBrief) as refused:
        prompts.fields_material({"a": "x" * prompts.MAX_TEXT})
    assert (refused.value.kind, refused.value.limit) == ("too_long", prompts.MAX_TEXT)
