"""Tenants' own domains are verified by real DNS lookups against a local authoritative server
(tests/dns_server.py): pending, verified, misconfigured with what was found versus expected,
lost and back, a DNS outage that changes nothing, two tenants claiming one name, and when
each domain is checked next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MailLog, TenantEvent
from db.models.domains import CustomDomain, DomainStatus
from tenants import domain_checks
from tenants.domain_checks import CheckSettings
from tenants.domains import check_often, verification_value
from tenants.lifecycle import Effects
from worker.jobs.domains import check_domain, sweep_domains
from worker.queues import MAIL
from worker.services import services

import factories
from support import purge, run_jobs

PLATFORM = "example.test"  # PLATFORM_DOMAIN in tests


@pytest.fixture
def tenant(app, db_session):
    return factories.tenant(app, db_session, plan="professional")


@pytest.fixture
def other(app, db_session):
    return factories.tenant(app, db_session, plan="professional")


def add(db_session, tenant, name, **values) -> CustomDomain:
    row = CustomDomain(tenant_id=tenant.id, name=name, **{"next_check_at": utcnow(), **values})
    db_session.add(row)
    db_session.commit()
    return row


def txt(app, tenant) -> str:
    return verification_value(app.config["SECRET_KEY"], tenant.id)


def publish_subdomain(dns, app, tenant, name="shop.bakery.nl", apex="bakery.nl"):
    dns.publish(f"_contyzr.{apex}" if apex else f"_contyzr.{name}", "TXT", txt(app, tenant))
    dns.publish(name, "CNAME", f"{tenant.subdomain}.{PLATFORM}")


def check(app, db_session, row) -> bool | None:
    with app.app_context():
        result = check_domain(row.id)
    db_session.expire_all()
    return result


def reloaded(db_session, row) -> CustomDomain | None:
    db_session.expire_all()
    return db_session.get(CustomDomain, row.id)


def queued(db_session, kind) -> list[MailLog]:
    return list(db_session.scalars(select(MailLog).where(MailLog.kind == kind)))


def events(db_session, tenant, kind) -> list[TenantEvent]:
    return list(db_session.scalars(select(TenantEvent).where(
        TenantEvent.tenant_id == tenant.id, TenantEvent.kind == kind)))


def test_nothing_published_is_pending(app, db_session, redis, dns_server, tenant):
    row = add(db_session, tenant, "shop.bakery.nl")

    assert check(app, db_session, row) is False
    row = reloaded(db_session, row)
    assert row.status == DomainStatus.PENDING
    assert "No records found yet" in row.detail
    assert row.last_checked_at is not None
    assert queued(db_session, "domain_verified") == []


def test_a_subdomain_with_its_cname_and_txt_is_verified_and_the_owner_told_once(
        app, db_session, redis, dns_server, tenant, mails):
    dns_server.publish("_contyzr.shop.bakery.nl", "TXT", txt(app, tenant))
    dns_server.publish("shop.bakery.nl", "CNAME", f"{tenant.subdomain}.{PLATFORM}")
    row = add(db_session, tenant, "shop.bakery.nl")
    version = int(redis.get("contyzr:domains:version") or 0)

    assert check(app, db_session, row) is True
    row = reloaded(db_session, row)
    assert row.status == DomainStatus.VERIFIED
    assert row.verified_at is not None and row.lost_at is None
    assert int(redis.get("contyzr:domains:version")) > version  # routing cache renewed

    assert check(app, db_session, row) is False  # checked again: no second mail
    run_jobs(app, [MAIL])
    sent = [mail["body"] for mail in mails.emails]
    assert len(sent) == 1
    assert sent[0]["to"] == [tenant.owner_email]
    assert "shop.bakery.nl is now connected" in sent[0]["subject"]
    assert "https://shop.bakery.nl/" in sent[0]["text"]
    assert f"{app.config['PUBLIC_URL']}/portal/domain" in sent[0]["text"]  # the portal's page


def test_an_apex_with_a_and_aaaa_and_its_www_pair_are_verified(app, db_session, redis,
                                                               dns_server, tenant):
    dns_server.publish("_contyzr.bakery.nl", "TXT", "some other record", txt(app, tenant))
    dns_server.publish("bakery.nl", "A", "127.0.0.1")
    dns_server.publish("bakery.nl", "AAAA", "::1")
    dns_server.publish("www.bakery.nl", "CNAME", f"{tenant.subdomain}.{PLATFORM}.")
    apex, www = add(db_session, tenant, "bakery.nl"), add(db_session, tenant, "www.bakery.nl")

    check(app, db_session, apex)
    check(app, db_session, www)

    assert reloaded(db_session, apex).status == DomainStatus.VERIFIED
    assert reloaded(db_session, www).status == DomainStatus.VERIFIED


def test_a_subdomain_flattened_to_the_platform_addresses_is_verified(app, db_session, redis,
                                                                     dns_server, tenant):
    dns_server.publish("_contyzr.shop.bakery.nl", "TXT", txt(app, tenant))
    dns_server.publish("shop.bakery.nl", "A", "127.0.0.1")
    row = add(db_session, tenant, "shop.bakery.nl")

    check(app, db_session, row)

    assert reloaded(db_session, row).status == DomainStatus.VERIFIED


def test_a_wrong_txt_value_says_what_it_holds_and_what_it_should(app, db_session, redis,
                                                                 dns_server, tenant):
    dns_server.publish("_contyzr.bakery.nl", "TXT", "abc")
    dns_server.publish("www.bakery.nl", "CNAME", f"{tenant.subdomain}.{PLATFORM}")
    row = add(db_session, tenant, "www.bakery.nl")

    check(app, db_session, row)

    row = reloaded(db_session, row)
    assert row.status == DomainStatus.MISCONFIGURED
    assert row.detail == (f"The TXT record _contyzr.bakery.nl was found, but it holds “abc” "
                          f"instead of “{txt(app, tenant)}”.")


def test_a_cname_elsewhere_names_where_it_points_and_where_it_should(app, db_session, redis,
                                                                      dns_server, tenant):
    dns_server.publish("_contyzr.bakery.nl", "TXT", txt(app, tenant))
    dns_server.publish("www.bakery.nl", "CNAME", "other.host.example")
    row = add(db_session, tenant, "www.bakery.nl")

    check(app, db_session, row)

    row = reloaded(db_session, row)
    assert row.status == DomainStatus.MISCONFIGURED
    assert row.detail == (f"www.bakery.nl points to other.host.example instead of "
                          f"{tenant.subdomain}.{PLATFORM}.")


def test_an_apex_pointing_at_a_foreign_address_is_misconfigured(app, db_session, redis,
                                                                 dns_server, tenant):
    dns_server.publish("_contyzr.bakery.nl", "TXT", txt(app, tenant))
    dns_server.publish("bakery.nl", "A", "127.0.0.1", "203.0.113.9")
    row = add(db_session, tenant, "bakery.nl")

    check(app, db_session, row)

    row = reloaded(db_session, row)
    assert row.status == DomainStatus.MISCONFIGURED
    assert "bakery.nl points to the address “203.0.113.9”, which is not ours" in row.detail
    assert "127.0.0.1 and ::1" in row.detail


def test_a_unicode_domain_is_looked_up_in_idna_and_shown_in_unicode(app, db_session, redis,
                                                                    dns_server, tenant):
    dns_server.publish("_contyzr.xn--bckerei-5wa.nl", "TXT", txt(app, tenant))
    dns_server.publish("www.xn--bckerei-5wa.nl", "CNAME", "elsewhere.example")
    row = add(db_session, tenant, "www.xn--bckerei-5wa.nl")

    check(app, db_session, row)

    assert reloaded(db_session, row).detail.startswith("www.bäckerei.nl points to elsewhere")


def test_overlong_many_and_non_ascii_txt_records_fit_the_detail(app, db_session, redis,
                                                                 dns_server, tenant):
    dns_server.publish("_contyzr.bakery.nl", "TXT", "x" * 3000, b"\xff\xfe caf\xc3\xa9 \x07",
                       *[f"record {n} " * 30 for n in range(80)])
    row = add(db_session, tenant, "www.bakery.nl")

    check(app, db_session, row)

    row = reloaded(db_session, row)
    assert row.status == DomainStatus.MISCONFIGURED
    assert len(row.detail) <= 1000
    assert "and 79 more" in row.detail
    assert "café" in row.detail
    assert "www.bakery.nl has no CNAME record yet" in row.detail


def test_verified_then_records_gone_is_lost_once_with_a_mail_and_an_event_then_back(
        app, db_session, redis, dns_server, tenant, mails):
    publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
    row = add(db_session, tenant, "www.bakery.nl")
    check(app, db_session, row)
    dns_server.reset()

    assert check(app, db_session, row) is True
    row = reloaded(db_session, row)
    assert row.status == DomainStatus.LOST and row.lost_at is not None
    lost_at = row.lost_at
    check(app, db_session, row)  # still gone: still lost, no second mail or event
    assert reloaded(db_session, row).lost_at == lost_at
    assert len(queued(db_session, "domain_lost")) == 1
    assert len(events(db_session, tenant, "domain_lost")) == 1
    run_jobs(app, [MAIL])
    lost = [m["body"] for m in mails.emails if "records of www.bakery.nl" in m["body"]["subject"]]
    assert len(lost) == 1 and "stays reachable at www.bakery.nl until" in lost[0]["text"]

    publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
    assert check(app, db_session, row) is True
    row = reloaded(db_session, row)
    assert row.status == DomainStatus.VERIFIED and row.lost_at is None
    assert len(queued(db_session, "domain_verified")) == 1  # back: no new "verified" mail
    assert len(events(db_session, tenant, "domain_restored")) == 1


@pytest.mark.parametrize("outage", ["servfail", "closed port"])
def test_dns_that_does_not_answer_changes_nothing(app, db_session, redis, dns_server, tenant,
                                                  outage, monkeypatch):
    publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
    row = add(db_session, tenant, "www.bakery.nl")
    check(app, db_session, row)
    verified_at = reloaded(db_session, row).verified_at
    dns_server.reset()  # the records are gone, but DNS cannot say so
    if outage == "servfail":
        dns_server.zones.mode = "servfail"
    else:
        monkeypatch.setattr(domain_checks, "LOOKUP_LIFETIME", 0.5)
        monkeypatch.setitem(app.config, "DNS_RESOLVERS", ["127.0.0.1:9"])
    db_session.get(CustomDomain, row.id).next_check_at = utcnow()
    db_session.commit()

    with app.app_context():
        assert sweep_domains() == 0

    row = reloaded(db_session, row)
    assert row.status == DomainStatus.VERIFIED and row.verified_at == verified_at
    assert row.next_check_at > utcnow() + timedelta(minutes=4)  # tried again later
    assert queued(db_session, "domain_lost") == []


def test_the_tenant_whose_txt_is_right_wins_and_the_other_claim_is_dropped(
        app, db_session, redis, dns_server, tenant, other, mails):
    publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
    squatter = add(db_session, other, "www.bakery.nl")
    owner = add(db_session, tenant, "www.bakery.nl")

    check(app, db_session, squatter)
    assert reloaded(db_session, squatter).status == DomainStatus.MISCONFIGURED
    squatter_id = squatter.id
    check(app, db_session, owner)

    assert reloaded(db_session, owner).status == DomainStatus.VERIFIED
    assert db_session.get(CustomDomain, squatter_id) is None
    run_jobs(app, [MAIL])
    dropped = [m["body"] for m in mails.emails if m["body"]["to"] == [other.owner_email]]
    assert len(dropped) == 1
    assert "www.bakery.nl was removed from the site" in dropped[0]["subject"]


def test_the_verified_holder_keeps_the_domain(app, db_session, redis, dns_server, tenant, other):
    holder = add(db_session, tenant, "www.bakery.nl", status=DomainStatus.VERIFIED,
                 verified_at=utcnow())
    # The other tenant's TXT value is published too, and the CNAME points at its site.
    dns_server.publish("_contyzr.bakery.nl", "TXT", txt(app, other))
    dns_server.publish("www.bakery.nl", "CNAME", f"{other.subdomain}.{PLATFORM}")
    claim = add(db_session, other, "www.bakery.nl")

    check(app, db_session, claim)

    claim = reloaded(db_session, claim)
    assert claim.status == DomainStatus.MISCONFIGURED
    assert claim.detail == "This domain is already connected to another site."
    assert reloaded(db_session, holder).status == DomainStatus.VERIFIED


def _interval(app, db_session, row) -> timedelta:
    now = utcnow()
    settings = CheckSettings.from_config(app.config, services(app).secret_key)
    domain_checks.check(db_session, services(app).urls, settings, row, Effects(), now=now)
    return row.next_check_at - now


def test_checks_are_often_at_first_then_back_off_and_watch_every_six_hours(
        app, db_session, redis, dns_server, tenant):
    row = add(db_session, tenant, "www.bakery.nl")
    with freeze_time(utcnow()) as clock:
        check_often(row, utcnow())
        assert [_interval(app, db_session, row) for _ in range(3)] == [timedelta(minutes=1)] * 3
        clock.tick(timedelta(minutes=61))  # the hour of frequent checks is over
        backoff = [_interval(app, db_session, row) for _ in range(8)]
        assert backoff == [timedelta(minutes=m) for m in (5, 10, 20, 40, 80, 160, 320, 360)]

        publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
        assert _interval(app, db_session, row) == timedelta(hours=6)
        assert row.status == DomainStatus.VERIFIED and row.failed_checks == 0
        dns_server.reset()
        assert _interval(app, db_session, row) == timedelta(hours=6)  # lost: watched as well
        assert row.status == DomainStatus.LOST


def test_only_due_domains_are_checked_oldest_first(app, db_session, redis, tenant):
    now = utcnow()
    later = add(db_session, tenant, "later.bakery.nl", next_check_at=now + timedelta(minutes=5))
    newer = add(db_session, tenant, "newer.bakery.nl", next_check_at=now - timedelta(minutes=1))
    older = add(db_session, tenant, "older.bakery.nl", next_check_at=now - timedelta(minutes=9))

    due = [row.id for row in domain_checks.due(db_session, now, limit=10)]

    assert [row_id for row_id in due if row_id in (later.id, newer.id, older.id)] == [
        older.id, newer.id]


def test_two_sweeps_never_take_the_same_domain(app):
    """Two transactions on their own connections (two sweeps in two workers): the second one
    skips the rows the first one holds. The rows are committed for real, and removed after."""
    engine = services(app).database.engine
    with Session(engine) as setup:
        owner = factories.tenant(app, setup, plan="professional")
        subdomain = owner.subdomain
        setup.add_all([CustomDomain(tenant_id=owner.id, name=f"s{n}.sweep.nl",
                                    next_check_at=utcnow() - timedelta(minutes=10 - n))
                       for n in range(3)])
        setup.commit()
        names = {"s0.sweep.nl", "s1.sweep.nl", "s2.sweep.nl"}
    try:
        with Session(engine) as first, Session(engine) as second:
            taken_first = [row.name for row in domain_checks.due(first, utcnow(), limit=2)]
            taken_second = [row.name for row in domain_checks.due(second, utcnow(), limit=10)]
            first.rollback()
            second.rollback()
        assert taken_first == ["s0.sweep.nl", "s1.sweep.nl"]
        assert [name for name in taken_second if name in names] == ["s2.sweep.nl"]
    finally:
        purge(engine, [subdomain])


def test_staff_list_every_domain_and_check_one_by_name(app, db_session, redis, dns_server,
                                                       tenant, other):
    publish_subdomain(dns_server, app, tenant, "www.bakery.nl")
    add(db_session, tenant, "www.bakery.nl")
    add(db_session, other, "shop.other.nl")
    runner = app.test_cli_runner()

    checked = runner.invoke(args=["domains", "check", "WWW.Bakery.nl"])
    listed = runner.invoke(args=["domains", "list"])

    assert checked.exit_code == 0, checked.output
    assert f"www.bakery.nl  {tenant.subdomain}  verified  checked=" in checked.output
    lines = listed.output.splitlines()
    assert any(line.startswith(f"www.bakery.nl  {tenant.subdomain}  verified  checked=20")
               and "Your domain is connected" in line for line in lines)
    assert any(line.startswith(f"shop.other.nl  {other.subdomain}  pending  checked=never")
               for line in lines)
    missing = runner.invoke(args=["domains", "check", "nobody.nl"])
    assert missing.exit_code != 0 and "no tenant has added nobody.nl" in missing.output


def test_the_sweep_is_scheduled_every_minute_on_the_maintenance_queue(redis):
    from worker.schedule import build_scheduler

    jobs = {job.func: job for job in build_scheduler(redis).get_jobs()}

    assert jobs[sweep_domains].interval == 60
    assert jobs[sweep_domains].queue_name == "maintenance"
