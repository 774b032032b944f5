"""The edge's question before a certificate on demand: ``GET /_edge/tls-ask?domain=<name>``
answers 200 only for our own names and served domains of tenants with a site, 404 for other
names, 400 for what is not a name, 403 to any caller outside TLS_ASK_FROM."""

from datetime import timedelta

import pytest

from db.base import utcnow
from db.models import CustomDomain, DomainStatus, Tenant
from db.models.tenants import BillingState, ProvisioningState

import factories

ASK = "/_edge/tls-ask"


@pytest.fixture
def tenant(app, db_session, redis):
    return factories.tenant(app, db_session, plan="professional")


def ask(client, name, host="127.0.0.1:8000", remote="127.0.0.1", **headers):
    query = {} if name is None else {"domain": name}
    return client.get(ASK, query_string=query, headers={"Host": host, **headers},
                      environ_base={"REMOTE_ADDR": remote})


def add(db_session, tenant, name, status=DomainStatus.VERIFIED, **fields):
    db_session.add(CustomDomain(tenant_id=tenant.id, name=name, status=status, **fields))
    db_session.commit()


def test_our_own_names_and_verified_domains_get_a_certificate(client, db_session, tenant):
    add(db_session, tenant, "shop.blum.nl")
    add(db_session, tenant, "xn--bckerei-5wa.de")
    for name in ("localhost", f"{tenant.subdomain}.example.test", "shop.blum.nl",
                 "SHOP.blum.nl.", "bäckerei.de", "xn--bckerei-5wa.de"):
        response = ask(client, name)
        assert response.status_code == 200, name
        assert response.get_data(as_text=True).endswith("is served here.\n")


def test_names_that_are_not_ours_get_none(app, client, db_session, tenant):
    starter = factories.tenant(app, db_session, plan="starter")
    grace = timedelta(hours=app.config["DOMAIN_LOST_GRACE_HOURS"])
    add(db_session, tenant, "pending.blum.nl", status=DomainStatus.PENDING)
    add(db_session, tenant, "wrong.blum.nl", status=DomainStatus.MISCONFIGURED)
    add(db_session, tenant, "gone.blum.nl", status=DomainStatus.LOST,
        lost_at=utcnow() - grace - timedelta(minutes=1))
    add(db_session, starter, "www.small.nl")  # verified, but its plan has no own domains
    for name in ("evil.example", "pending.blum.nl", "wrong.blum.nl", "gone.blum.nl",
                 "www.small.nl", "nobody.example.test", "example.test", "a.b.example.test"):
        response = ask(client, name)
        assert response.status_code == 404, name
        assert "is not served here" in response.get_data(as_text=True), name


def test_a_lost_domain_keeps_its_certificate_within_the_grace(client, db_session, tenant):
    add(db_session, tenant, "shop.blum.nl", status=DomainStatus.LOST, lost_at=utcnow())
    assert ask(client, "shop.blum.nl").status_code == 200


@pytest.mark.parametrize("change, answer", [
    ({"billing_state": BillingState.SUSPENDED}, 200),  # its status page is served over HTTPS
    ({"billing_state": BillingState.CLOSED}, 200),  # so is its closed page, until deletion
    ({"billing_state": BillingState.DELETED}, 404),
    ({"provisioning_state": ProvisioningState.PROVISIONING}, 404),  # not live yet
])
def test_the_tenants_access_decides(client, db_session, tenant, change, answer):
    add(db_session, tenant, "shop.blum.nl")
    row = db_session.get(Tenant, tenant.id)
    for column, value in change.items():
        setattr(row, column, value)
    db_session.commit()
    assert ask(client, "shop.blum.nl").status_code == answer
    assert ask(client, f"{tenant.subdomain}.example.test").status_code == answer


@pytest.mark.parametrize("name", [None, "", "a..b", "-bad.example", "127.0.0.1", "[::1]", "::1",
                                  "*.blum.nl", "shop.blum.nl/path", "x" * 64 + ".blum.nl",
                                  ".".join(["a" * 63] * 5)])
def test_what_is_not_a_host_name_is_a_400(client, db_session, name):
    response = ask(client, name)
    assert response.status_code == 400, name
    assert "Give a host name" in response.get_data(as_text=True)


def test_only_the_edge_may_ask_whatever_it_claims(client, db_session, tenant):
    add(db_session, tenant, "shop.blum.nl")
    for remote in ("203.0.113.9", "10.0.0.5", "::ffff:203.0.113.9"):
        response = ask(client, "shop.blum.nl", remote=remote, **{"X-Forwarded-For": "127.0.0.1"})
        assert response.status_code == 403, remote
        assert "Only the platform's edge may ask this." in response.get_data(as_text=True)
    assert ask(client, "shop.blum.nl", remote="::1").status_code == 200


def test_behind_a_trusted_proxy_the_connection_decides_not_x_forwarded_for(make_app, app,
                                                                           db_session, tenant):
    from support import share_transaction

    proxied = make_app(TRUST_PROXY=1)
    share_transaction(proxied, app)
    add(db_session, tenant, "shop.blum.nl")
    with proxied.test_client() as client:
        outside = ask(client, "shop.blum.nl", remote="203.0.113.9",
                      **{"X-Forwarded-For": "127.0.0.1"})
        assert outside.status_code == 403


def test_the_addresses_allowed_are_a_setting(make_app, app, db_session, tenant):
    from support import share_transaction

    edge = make_app(TLS_ASK_FROM=["10.1.0.0/16"])
    share_transaction(edge, app)
    add(db_session, tenant, "shop.blum.nl")
    with edge.test_client() as client:
        assert ask(client, "shop.blum.nl", remote="10.1.2.3").status_code == 200
        assert ask(client, "shop.blum.nl", remote="127.0.0.1").status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "localhost", "203.0.113.1", "shop.blum.nl"])
def test_it_answers_on_any_host(client, db_session, tenant, host):
    add(db_session, tenant, "shop.blum.nl")
    assert ask(client, "shop.blum.nl", host=host).status_code == 200
    assert ask(client, "evil.example", host=host).status_code == 404
    host = f"{tenant.subdomain}.example.test"
    assert ask(client, "shop.blum.nl", host=host).status_code == 200
