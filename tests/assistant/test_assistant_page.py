"""/portal/assistant and its streamed proposals, against the local OpenAI-compatible API: the
answer arrives in pieces and is counted; a plan without the feature, the monthly limit, a bad
brief and a provider that fails each get a clear message, and nothing of the tenant's is
changed."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, insert, select

from db.models import AssistantRequest, Page
from db.models.assistant import RequestStatus
from worker.services import services

import factories
from support import csrf_token


def propose(client, **form):
    token = csrf_token(client, "/portal/assistant")
    return client.post("/portal/assistant/propose", data={"csrf_token": token, **form})


def events(response) -> list[tuple[str, dict]]:
    found = []
    for block in response.get_data(as_text=True).strip().split("\n\n"):
        name, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        found.append((name, json.loads(data)))
    return found


def requests_of(db_session, tenant) -> list[AssistantRequest]:
    db_session.expire_all()
    return list(db_session.scalars(select(AssistantRequest).where(
        AssistantRequest.tenant_id == tenant.id)))


def test_a_draft_streams_in_and_is_counted(ai, client, db_session, enterprise):
    httpx.post(f"{ai.url}/_test/replies", json={"content": "Vers brood, **elke** ochtend."})
    response = propose(client, action="draft", text="Bakkerij sinds 1952")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    found = events(response)
    pieces = [data["text"] for name, data in found if name == "message"]
    assert len(pieces) > 1 and "".join(pieces) == "Vers brood, **elke** ochtend."
    [(name, done)] = [event for event in found if event[0] == "done"]
    assert done["html"] == "<p>Vers brood, <strong>elke</strong> ochtend.</p>\n"
    [made] = requests_of(db_session, enterprise)
    assert made.status == RequestStatus.DONE and made.completion_tokens > 0 and done["request"] == made.id


def test_html_in_the_answer_is_never_rendered(ai, client, enterprise):
    httpx.post(f"{ai.url}/_test/replies", json={"content": "Hallo <script>alert(1)</script>"})
    [*_, (name, done)] = events(propose(client, action="draft", text="iets"))
    assert name == "done" and "<script>" not in done["html"]


def test_a_plan_without_the_assistant_gets_403_and_the_way_up(app, ai, client, db_session, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    page = client.get("/portal/assistant").get_data(as_text=True)
    assert 'id="assistant-upgrade"' in page
    response = propose(client, action="draft", text="Bakkerij")
    assert response.status_code == 403 and "Enterprise" in response.json["error"]
    assert response.json["upgrade_url"] == "/portal/billing/plan"
    assert requests_of(db_session, tenant) == []


def test_the_monthly_limit_is_refused_politely(ai, app, client, db_session, enterprise):
    limit = services(app).catalog.plan("enterprise").limit("ai_requests")
    db_session.execute(insert(AssistantRequest), [
        {"tenant_id": enterprise.id, "action": "draft", "model": "m", "status": "done"}] * limit)
    response = propose(client, action="draft", text="Bakkerij")
    assert response.status_code == 429 and "limit" in response.json["error"]
    assert httpx.get(f"{ai.url}/_test/requests").json() == []  # the provider was not asked


@pytest.mark.parametrize("text", ["", "x" * 2001])
def test_an_empty_or_oversized_brief_gets_400(ai, client, db_session, enterprise, text):
    response = propose(client, action="draft", text=text)
    assert response.status_code == 400 and response.json["error"]
    assert requests_of(db_session, enterprise) == []


@pytest.mark.parametrize(("mode", "words"), [("rate_limited", "busy"), ("error", "could not"),
                                             ("malformed", "broke off"),
                                             ("truncated", "broke off"), ("hang", "too long")])
def test_a_failing_provider_gets_a_clear_message_and_is_not_counted(ai, app, client, db_session,
                                                                    enterprise, mode, words,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "AI_TIMEOUT_SECONDS", 1)
    pages = db_session.scalar(select(func.count()).select_from(Page).where(Page.tenant_id == enterprise.id))
    httpx.post(f"{ai.url}/_test/behaviour", json={"mode": mode, "times": 2})
    [*_, (name, data)] = events(propose(client, action="draft", text="Bakkerij"))
    assert name == "error" and words in data["message"]
    [made] = requests_of(db_session, enterprise)
    assert made.status == RequestStatus.FAILED
    assert db_session.scalar(select(func.count()).select_from(Page).where(
        Page.tenant_id == enterprise.id)) == pages  # nothing of the tenant's changed


def test_without_settings_the_page_says_not_configured(app, client, db_session, enterprise):
    for name in ("AI_API_BASE", "AI_API_KEY", "AI_MODEL"):
        app.config.pop(name, None)
    assert 'id="assistant-not-configured"' in client.get("/portal/assistant").get_data(as_text=True)
    assert propose(client, action="draft", text="Bakkerij").status_code == 503


def test_staff_see_what_a_tenant_used_this_month(ai, app, db_session, redis):
    from staff_support import signed_in_staff

    tenant = factories.tenant(app, db_session, plan="enterprise")
    db_session.execute(insert(AssistantRequest), [
        {"tenant_id": tenant.id, "action": "draft", "model": "m", "status": "done",
         "prompt_tokens": 1200, "completion_tokens": 300},
        {"tenant_id": tenant.id, "action": "rewrite", "model": "m", "status": "failed",
         "prompt_tokens": 400, "completion_tokens": 0}])
    with app.test_client() as staff:
        signed_in_staff(staff, db_session, "support")
        page = staff.get(f"/admin/tenants/{tenant.id}").get_data(as_text=True)
    assert "2 requests, 1,600 prompt and 300 completion tokens" in page


@pytest.mark.parametrize(("form", "task"), [
    ({"action": "rewrite", "style": "shorter", "text": "Wij bakken brood."}, "Make it shorter"),
    ({"action": "rewrite", "style": "formal", "text": "Wij bakken brood."}, "more formal"),
    ({"action": "meta", "text": "Wij bakken brood."}, "meta description"),
    ({"action": "translate", "target": "en", "text": "Wij bakken brood."},
     "Translate the page below into English"),
])
def test_each_action_sends_its_task_and_streams_a_proposal(ai, app, client, db_session, enterprise,
                                                          form, task):
    enterprise.languages, enterprise.language = ["nl", "en"], "nl"
    db_session.flush()
    found = events(propose(client, **form))
    assert found[-1][0] == "done"
    [sent] = httpx.get(f"{ai.url}/_test/requests").json()
    assert task in sent["body"]["messages"][1]["content"]
    assert sent["body"]["messages"][2]["content"] == "<material>\nWij bakken brood.\n</material>"
    [made] = requests_of(db_session, enterprise)
    assert made.action == form["action"] and made.status == RequestStatus.DONE


def test_a_rewrite_without_a_style_or_a_translation_without_a_language_gets_400(ai, client,
                                                                               db_session, enterprise):
    assert propose(client, action="rewrite", text="Wij bakken brood.").status_code == 400
    assert propose(client, action="translate", target="xx", text="Wij bakken brood.").status_code == 400
    assert propose(client, action="poem", text="Wij bakken brood.").status_code == 400
    assert requests_of(db_session, enterprise) == []
