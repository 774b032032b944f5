"""The Cloudflare DNS adapter (tenants/providers.py) against the local Cloudflare: the tenant's
name in the platform's zone is a CNAME to the edge, made idempotently by provisioning and
removed when the tenant's data is deleted after retention."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Page, ProvisioningRun, Tenant
from db.models.tenants import BillingState
from tenants import provisioning
from tenants.providers import CloudflareDnsProvider, ProviderError, SiteSpec, providers_from_config
from worker.jobs.provisioning import provisioning_services

import factories

SITE = SiteSpec(tenant_id=42, subdomain="bakery", hostname="bakery.example.test")


@pytest.fixture
def dns(cloudflare_fake):
    def make(**overrides):
        settings = {"api_token": cloudflare_fake.token, "zone_id": cloudflare_fake.zone_id,
                    "target": "edge.example.net", "base_url": cloudflare_fake.api_base,
                    "max_retries": 0, **overrides}
        return CloudflareDnsProvider(**settings)

    return make


def records(fake):
    return fake.state.records(fake.zone_id)


def test_apply_twice_makes_one_unproxied_cname_to_the_edge(cloudflare_fake, dns):
    provider = dns()
    assert "created" in provider.apply(SITE)
    assert "already in place" in provider.apply(SITE)
    [record] = records(cloudflare_fake)
    assert (record["name"], record["type"], record["content"]) == (
        "bakery.example.test", "CNAME", "edge.example.net")
    assert record["proxied"] is False and record["ttl"] == 1
    assert record["comment"] == "contyzr tenant 42"
    writes = [seen for seen in cloudflare_fake.state.requests if seen[0] != "GET"]
    assert len(writes) == 1  # the second apply only looked


def test_a_changed_edge_updates_the_same_record(cloudflare_fake, dns):
    dns().apply(SITE)
    [before] = records(cloudflare_fake)
    assert "updated (was edge.example.net)" in dns(target="edge2.example.net").apply(SITE)
    [after] = records(cloudflare_fake)
    assert after["id"] == before["id"] and after["content"] == "edge2.example.net"


def test_a_record_someone_proxied_is_put_back(cloudflare_fake, dns):
    provider = dns()
    provider.apply(SITE)
    [record] = records(cloudflare_fake)
    cloudflare_fake.state.put(cloudflare_fake.zone_id, {**record, "proxied": True})
    assert "updated" in provider.apply(SITE)
    assert records(cloudflare_fake)[0]["proxied"] is False


def test_remove_deletes_and_a_missing_record_is_done(cloudflare_fake, dns):
    provider = dns()
    provider.apply(SITE)
    other = SiteSpec(tenant_id=43, subdomain="florist", hostname="florist.example.test")
    provider.apply(other)
    assert "removed" in provider.remove(SITE)
    assert [record["name"] for record in records(cloudflare_fake)] == ["florist.example.test"]
    assert "had no record" in provider.remove(SITE)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_cloudflare_down_or_busy_is_transient(cloudflare_fake, dns, status):
    cloudflare_fake.state.fail_next(status)
    with pytest.raises(ProviderError) as failed:
        dns().apply(SITE)
    assert failed.value.transient is True
    assert records(cloudflare_fake) == []


def test_a_timeout_is_transient(cloudflare_fake, dns):
    cloudflare_fake.state.stall_next(2)
    with pytest.raises(ProviderError) as failed:
        dns(timeout=0.3).apply(SITE)
    assert failed.value.transient is True and "timed out" in str(failed.value)


def test_a_short_outage_is_retried_by_the_sdk(cloudflare_fake, dns):
    cloudflare_fake.state.fail_next(500)
    assert "created" in dns(max_retries=1).apply(SITE)
    assert len(records(cloudflare_fake)) == 1


def test_a_bad_token_is_permanent_with_cloudflares_words(cloudflare_fake, dns):
    with pytest.raises(ProviderError) as refused:
        dns(api_token="revoked").apply(SITE)
    assert refused.value.transient is False
    assert "Authentication error (10000)" in str(refused.value)


def test_a_zone_the_token_cannot_see_is_permanent(cloudflare_fake, dns):
    with pytest.raises(ProviderError) as refused:
        dns(zone_id="f" * 32).apply(SITE)
    assert refused.value.transient is False


def test_a_clashing_record_is_permanent_and_left_alone(cloudflare_fake, dns):
    cloudflare_fake.state.put(cloudflare_fake.zone_id, {
        "name": "bakery.example.test", "type": "A", "content": "198.51.100.4", "proxiable": True,
        "proxied": False, "ttl": 1, "settings": {}, "meta": {}, "comment": None, "tags": []})
    with pytest.raises(ProviderError) as refused:
        dns().apply(SITE)
    assert refused.value.transient is False
    assert "An A, AAAA, or CNAME record with that host already exists" in str(refused.value)
    assert [record["type"] for record in records(cloudflare_fake)] == ["A"]


def test_missing_settings_are_named(cloudflare_fake):
    provider = providers_from_config({"DNS_PROVIDER": "cloudflare",
                                      "CLOUDFLARE_API_TOKEN": "x"})[0]
    with pytest.raises(ProviderError) as refused:
        provider.apply(SITE)
    assert refused.value.transient is False
    assert "CLOUDFLARE_ZONE_ID, EDGE_HOSTNAME" in str(refused.value)
    assert cloudflare_fake.state.requests == []


def test_the_default_stays_the_recording_provider():
    providers = providers_from_config({})
    assert [provider.name for provider in providers] == ["dns", "hosting", "tls"]
    assert not any(isinstance(provider, CloudflareDnsProvider) for provider in providers)


def test_provisioning_with_cloudflare_creates_the_tenants_record(make_app, db_session,
                                                                cloudflare_fake, mails):
    made = make_app(**cloudflare_fake.settings)
    tenant = factories.tenant(made, db_session, provision=True)
    [record] = records(cloudflare_fake)
    assert record["name"] == f"{tenant.subdomain}.example.test"
    assert record["content"] == "edge.example.net" and record["comment"] == f"contyzr tenant {tenant.id}"
    run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.tenant_id == tenant.id))
    step = next(step for step in run.steps if step.name == "external_providers")
    assert "CNAME edge.example.net created" in step.detail


def test_provisioning_fails_for_staff_when_cloudflare_refuses(make_app, db_session,
                                                              cloudflare_fake, mails):
    made = make_app(**{**cloudflare_fake.settings, "CLOUDFLARE_API_TOKEN": "revoked"})
    signup = factories.signup(db_session)
    db_session.commit()
    with made.app_context(), pytest.raises(provisioning.ProvisioningError):
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
    assert run.status == "failed" and "Authentication error (10000)" in run.error
    assert records(cloudflare_fake) == []


def closed_long_ago(app, db_session):
    tenant = factories.tenant(app, db_session)
    tenant.billing_state, tenant.closed_at = BillingState.CLOSED, utcnow() - timedelta(days=40)
    db_session.commit()
    return tenant


def test_deleting_a_tenants_data_removes_its_record(app, db_session, cloudflare_fake, dns,
                                                    monkeypatch):
    from worker.jobs.lifecycle import enforce_retention

    for name, value in cloudflare_fake.settings.items():
        monkeypatch.setitem(app.config, name, value)
    tenant = closed_long_ago(app, db_session)
    dns().apply(SiteSpec(tenant.id, tenant.subdomain, f"{tenant.subdomain}.example.test"))
    with app.app_context():
        assert enforce_retention() >= 1
    assert records(cloudflare_fake) == []
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).billing_state == BillingState.DELETED


def test_with_cloudflare_down_the_deletion_waits(app, db_session, cloudflare_fake, dns,
                                                 monkeypatch):
    from worker.jobs.lifecycle import enforce_retention

    for name, value in cloudflare_fake.settings.items():
        monkeypatch.setitem(app.config, name, value)
    tenant = closed_long_ago(app, db_session)
    dns().apply(SiteSpec(tenant.id, tenant.subdomain, f"{tenant.subdomain}.example.test"))
    cloudflare_fake.state.fail_next(500, count=10)
    with app.app_context():
        enforce_retention()
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).billing_state == BillingState.CLOSED
    assert db_session.scalar(select(Page.id).where(Page.tenant_id == tenant.id)) is not None
    assert len(records(cloudflare_fake)) == 1
