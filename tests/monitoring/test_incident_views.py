"""Staff see the incidents: the back office's /admin/incidents (read role; nobody else) and
``contyzr alerts list|check``."""

from __future__ import annotations

from datetime import timedelta

from alert_support import alert_settings, checked, only_rules
from staff_support import signed_in_staff

from db.base import utcnow
from db.models import Incident

import factories


def incidents_of(db_session, tenant):
    now = utcnow()
    found = Incident(rule="site_down", subject=f"tenant:{tenant.id}", tenant_id=tenant.id,
                     summary=f"Site {tenant.subdomain} is down: HTTP 500 (2 checks in a row)",
                     detail={}, opened_at=now, last_seen_at=now, opened_mailed_at=now)
    gone = Incident(rule="queue_backlog", subject="queue:mail", summary="Queue mail <b>backed up",
                    detail={}, opened_at=now - timedelta(hours=3),
                    last_seen_at=now - timedelta(hours=2), resolved_at=now - timedelta(hours=2))
    db_session.add_all([found, gone])
    db_session.commit()
    return found, gone


def test_the_back_office_lists_open_incidents_first_then_resolved(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    found, gone = incidents_of(db_session, tenant)
    signed_in_staff(client, db_session, "support")
    page = client.get("/admin/incidents")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index(found.summary) < html.index("Queue mail &lt;b&gt;backed up")
    assert "A tenant site is down" in html and "A queue is backing up" in html
    assert f'/admin/tenants/{tenant.id}"' in html
    assert 'href="/admin/incidents"' in html  # in the navigation


def test_finance_tenants_and_strangers_do_not_see_incidents(app, db_session, client, sign_in):
    anonymous = client.get("/admin/incidents")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    tenant = factories.tenant(app, db_session)
    sign_in(tenant.owner_email)  # a tenant's owner is no staff member
    assert client.get("/admin/incidents").status_code == 302
    signed_in_staff(client, db_session, "finance")
    assert client.get("/admin/incidents").status_code == 403


def test_the_commands_list_and_check(app, db_session, redis, mails, monkeypatch):
    tenant = factories.tenant(app, db_session)
    found, gone = incidents_of(db_session, tenant)
    listed = app.test_cli_runner().invoke(args=["alerts", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"#{found.id}  site_down  tenant:{tenant.id}" in listed.output
    assert "alerts: 1 open" in listed.output and f"#{gone.id}  queue_backlog" in listed.output

    alert_settings(app, monkeypatch)
    only_rules(monkeypatch, "site_down", "site_slow")
    other = factories.tenant(app, db_session)
    checked(db_session, other, "critical", "critical")
    checked_now = app.test_cli_runner().invoke(args=["alerts", "check"])
    assert checked_now.exit_code == 0, checked_now.output
    # The other's site opened; the listed incident (nobody's check any more) resolved.
    assert "alerts: 1 opened, 1 resolved, 0 still firing" in checked_now.output
