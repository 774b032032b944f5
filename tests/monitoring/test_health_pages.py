"""Where people see a site's health: the tenant's own card on the portal dashboard (its uptime,
never another tenant's; in Dutch too), the back office's tenant page and overview, and the
``contyzr health`` commands."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from staff_support import signed_in_staff

from db.base import utcnow
from db.models import SiteStatus, User
from monitoring import check_rounds, uptime
from monitoring.site_checks import Verdict

import factories

H, C = SiteStatus.HEALTHY, SiteStatus.CRITICAL


def _history(db_session, tenant_id, statuses, ms=120):
    """Checks five minutes apart ending now (the last one is the current status)."""
    check_rounds.ensure_rows(db_session, 300)
    now = utcnow()
    for n, status in enumerate(statuses):
        at = now - timedelta(minutes=5 * (len(statuses) - 1 - n))
        uptime.record(db_session, [Verdict(tenant_id, status, ms if status == H else None,
                                           None if status == H else "HTTP 500")], at)
    db_session.commit()


def test_the_portal_card_shows_the_tenants_own_uptime(app, owner_client, db_session):
    tenant = owner_client.tenant
    other = factories.tenant(app, db_session)
    _history(db_session, tenant.id, [H, H, H, H])
    _history(db_session, other.id, [C, C, H, C])
    page = owner_client.get("/portal/").get_data(as_text=True)
    card = page[page.index('id="site-health"'):]
    card = card[:card.index("</section>")]
    assert "Online" in card and "120 ms" in card
    assert 'id="uptime-24">100%' in card and "25%" not in card


def test_the_portal_card_formats_for_the_language_and_says_when_not_checked(
        app, owner_client, db_session):
    page = owner_client.get("/portal/").get_data(as_text=True)
    card = page[page.index('id="site-health"'):]
    assert 'id="uptime-24">—' in card[:card.index("</section>")]  # not checked yet
    db_session.execute(update(User).where(User.tenant_id == owner_client.tenant.id)
                       .values(language="nl"))
    _history(db_session, owner_client.tenant.id, [H, H, H, C, H, H, H, H])  # 7 of 8: 87.5 %
    page = owner_client.get("/portal/").get_data(as_text=True)
    card = page[page.index('id="site-health"'):]
    assert 'id="uptime-24">87,5%' in card[:card.index("</section>")]


def test_the_admin_tenant_page_and_overview_show_the_health(app, client, db_session, redis):
    tenant = factories.tenant(app, db_session)
    _history(db_session, tenant.id, [H, H, C, C])
    signed_in_staff(client, db_session)
    page = client.get(f"/admin/tenants/{tenant.id}").get_data(as_text=True)
    section = page[page.index('id="site-health"'):]
    section = section[:section.index("</section>")]
    assert "critical" in section and "HTTP 500" in section
    assert "2 failed checks in a row" in section
    assert 'id="uptime-24">50%' in section
    assert section.count("<tr>") >= 4 + 3  # four checks, three uptime rows
    overview = client.get("/admin/").get_data(as_text=True)
    critical = overview[overview.index('id="health-critical"'):]
    assert "critical" in critical[:200]


def test_the_health_commands_list_and_show_a_site(app, db_session, redis):
    tenant = factories.tenant(app, db_session)
    _history(db_session, tenant.id, [H, C])
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["health", "list", "--status", "critical"])
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if tenant.subdomain in line)
    assert "critical" in line and "HTTP 500" in line and "24h=50.00%" in line
    healthy = runner.invoke(args=["health", "list", "--status", "healthy"])
    assert tenant.subdomain not in healthy.output
    shown = runner.invoke(args=["health", "show", tenant.subdomain])
    assert shown.exit_code == 0, shown.output
    assert "failures_in_a_row=1" in shown.output and "24h=50.00%" in shown.output
    assert shown.output.count("HTTP 500") == 2  # the status line and the check
    missing = runner.invoke(args=["health", "show", "nobody-here"])
    assert missing.exit_code != 0 and "no tenant nobody-here" in missing.output
    bad = runner.invoke(args=["health", "list", "--status", "bogus"])
    assert bad.exit_code == 2
