"""The fake Cloudflare DNS API, pinned to Cloudflare's real shapes and driven through the
official ``cloudflare`` SDK.

Two anchors: the SDK's own response models (``cloudflare.types.dns.RecordResponse``, validated
strictly: a client with ``_strict_response_validation=True`` refuses an answer whose shape
differs), and ``cloudflare_dns_records_list.json``, the 200 example of a DNS record list from
Cloudflare's API reference (developers.cloudflare.com/api/resources/dns/subresources/records),
saved as published.
"""

import json
import re
from pathlib import Path

import httpx
import pytest
from cloudflare import (
    BadRequestError,
    Cloudflare,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from cloudflare.pagination import V4PagePaginationArrayResultInfo
from cloudflare.types.dns import RecordResponse
from cloudflare.types.dns.record_response import ARecord, CNAMERecord
from pydantic import TypeAdapter

from fakes.cloudflare_api import CloudflareState, start_in_thread

TOKEN = "cf-token-for-tests"
ZONE = "0f0e0d0c0b0a09080706050403020100"
EXAMPLE = json.loads((Path(__file__).parent / "cloudflare_dns_records_list.json").read_text())
DOCS_RECORD = EXAMPLE["result"][0]
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


@pytest.fixture(scope="module")
def server():
    running = start_in_thread(state=CloudflareState(tokens={TOKEN}, zones={ZONE: "shop.test"}))
    yield running
    running.stop()


@pytest.fixture
def fake(server):
    server.state.reset()
    return server


@pytest.fixture
def cf(fake):
    client = Cloudflare(api_token=TOKEN, base_url=fake.api_base, max_retries=0,
                        _strict_response_validation=True)
    yield client
    client.close()


def cname(cf, name="www.shop.test", content="edge.example.net", **extra):
    return cf.dns.records.create(zone_id=ZONE, name=name, type="CNAME", content=content, ttl=1,
                                 proxied=False, **extra)


def raw(fake, method, path, **kwargs):
    headers = kwargs.pop("headers", {"Authorization": f"Bearer {TOKEN}"})
    return httpx.request(method, f"{fake.api_base}{path}", headers=headers, **kwargs)


# The anchors agree with each other, and the fake with both


def test_the_docs_example_is_what_the_sdk_parses():
    records = TypeAdapter(list[RecordResponse]).validate_python(EXAMPLE["result"])
    assert isinstance(records[0], ARecord) and records[0].content == "198.51.100.4"
    info = V4PagePaginationArrayResultInfo.model_validate(EXAMPLE["result_info"])
    assert (info.page, info.per_page) == (1, 20)


def test_a_listed_record_has_the_docs_envelope_and_only_the_docs_fields(fake, cf):
    cname(cf, comment="contyzr tenant 7")
    body = raw(fake, "GET", f"/zones/{ZONE}/dns_records").json()
    assert set(body) == set(EXAMPLE)
    assert set(body["result_info"]) == set(EXAMPLE["result_info"])
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    record = body["result"][0]
    assert set(record) <= set(DOCS_RECORD), set(record) - set(DOCS_RECORD)
    for required in ("id", "name", "type", "content", "ttl", "proxied", "proxiable", "meta",
                     "created_on", "modified_on", "comment_modified_on", "tags", "settings"):
        assert required in record
    assert len(record["id"]) == 32 and STAMP.fullmatch(record["created_on"])
    assert STAMP.fullmatch(DOCS_RECORD["created_on"])  # the same timestamp form as the docs


def test_records_parse_strictly_as_the_sdk_models_of_their_type(cf):
    made = cname(cf, comment="contyzr tenant 7")
    address = cf.dns.records.create(zone_id=ZONE, name="apex-like.shop.test", type="A",
                                    content="198.51.100.4", ttl=3600, proxied=False)
    assert isinstance(made, CNAMERecord) and isinstance(address, ARecord)
    assert made.name == "www.shop.test" and made.content == "edge.example.net"
    assert made.proxiable is True and made.proxied is False and made.ttl == 1
    assert made.comment == "contyzr tenant 7" and made.comment_modified_on is not None
    listed = cf.dns.records.list(zone_id=ZONE)
    assert {type(record) for record in listed.result} == {CNAMERecord, ARecord}
    assert listed.result_info.page == 1 and listed.result_info.per_page == 100


# Behaviour the adapter relies on


def test_list_filters_by_exact_name_in_both_spellings_and_by_type(fake, cf):
    cname(cf)
    cname(cf, name="shop2.shop.test")
    cf.dns.records.create(zone_id=ZONE, name="www2.shop.test", type="A", content="198.51.100.4",
                          ttl=1)
    assert [r.name for r in cf.dns.records.list(zone_id=ZONE, name={"exact": "www.shop.test"})
            .result] == ["www.shop.test"]
    legacy = raw(fake, "GET", f"/zones/{ZONE}/dns_records", params={"name": "WWW.shop.test"})
    assert [r["name"] for r in legacy.json()["result"]] == ["www.shop.test"]
    assert [r.name for r in cf.dns.records.list(zone_id=ZONE, type="A").result] == [
        "www2.shop.test"]
    assert cf.dns.records.list(zone_id=ZONE, name={"exact": "nope.shop.test"}).result == []


def test_list_pages(cf):
    for n in range(3):
        cname(cf, name=f"t{n}.shop.test")
    second = cf.dns.records.list(zone_id=ZONE, per_page=2, page=2)
    assert [r.name for r in second.result] == ["t2.shop.test"]
    assert second.result_info.page == 2


def test_update_patch_and_delete(cf):
    made = cname(cf, comment="first")
    updated = cf.dns.records.update(made.id, zone_id=ZONE, name="www.shop.test", type="CNAME",
                                    content="other.example.net", ttl=1, proxied=False,
                                    comment="first")
    assert (updated.id, updated.content) == (made.id, "other.example.net")
    assert updated.created_on == made.created_on and updated.modified_on >= made.modified_on
    patched = cf.dns.records.edit(made.id, zone_id=ZONE, name="www.shop.test", type="CNAME",
                                  ttl=120)
    assert (patched.content, patched.ttl, patched.comment) == ("other.example.net", 120, "first")
    assert cf.dns.records.delete(made.id, zone_id=ZONE).id == made.id
    with pytest.raises(NotFoundError) as missing:
        cf.dns.records.delete(made.id, zone_id=ZONE)
    assert missing.value.errors[0].code == 81044


def test_a_cname_cannot_share_its_name_and_a_record_cannot_repeat(cf):
    cf.dns.records.create(zone_id=ZONE, name="www.shop.test", type="A", content="198.51.100.4",
                          ttl=1)
    with pytest.raises(BadRequestError) as clash:
        cname(cf)
    assert clash.value.errors[0].code == 81053
    with pytest.raises(BadRequestError) as same:
        cf.dns.records.create(zone_id=ZONE, name="www.shop.test", type="A",
                              content="198.51.100.4", ttl=1)
    assert same.value.errors[0].code == 81058


@pytest.mark.parametrize("body, code", [
    ({"type": "A", "name": "x", "content": "not-an-ip", "ttl": 1}, 9005),
    ({"type": "AAAA", "name": "x", "content": "198.51.100.4", "ttl": 1}, 9005),
    ({"type": "CNAME", "name": "x", "content": "edge.example.net", "ttl": 30}, 9021),
    ({"type": "TXT", "name": "x", "content": "hello", "ttl": 1, "proxied": True}, 9004),
    ({"type": "CNAME", "name": "x", "content": "edge.example.net", "ttl": 1,
      "comment": "c" * 101}, 9100),
])
def test_bad_records_are_refused_with_cloudflare_codes(fake, body, code):
    refused = raw(fake, "POST", f"/zones/{ZONE}/dns_records", json=body)
    assert refused.status_code == 400
    assert refused.json()["success"] is False and refused.json()["errors"][0]["code"] == code
    assert fake.state.records(ZONE) == []


def test_a_name_outside_the_zone_is_placed_inside_it(cf):
    assert cname(cf, name="www").name == "www.shop.test"


def test_tokens_and_zones_are_checked(fake):
    wrong = Cloudflare(api_token="not-the-token", base_url=fake.api_base, max_retries=0)
    with pytest.raises(PermissionDeniedError) as denied:
        wrong.dns.records.list(zone_id=ZONE)
    assert (denied.value.status_code, denied.value.errors[0].code) == (403, 10000)
    missing = raw(fake, "GET", f"/zones/{ZONE}/dns_records", headers={})
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == 6003
    other_zone = raw(fake, "GET", f"/zones/{'a' * 32}/dns_records")
    assert other_zone.status_code == 403
    not_an_id = raw(fake, "GET", "/zones/nope/dns_records")
    assert not_an_id.status_code == 400 and not_an_id.json()["errors"][0]["code"] == 7003


def test_injected_failures_then_recovery(fake, cf):
    httpx.post(f"{fake.url}/_test/failures", json={"status": 500, "count": 1}).raise_for_status()
    with pytest.raises(InternalServerError):
        cf.dns.records.list(zone_id=ZONE)
    assert cf.dns.records.list(zone_id=ZONE).result == []
    fake.state.fail_next(429)
    with pytest.raises(RateLimitError) as limited:
        cf.dns.records.list(zone_id=ZONE)
    assert limited.value.response.headers["Retry-After"] == "1"


def test_the_sdk_retries_through_a_short_outage(fake):
    patient = Cloudflare(api_token=TOKEN, base_url=fake.api_base, max_retries=1)
    fake.state.fail_next(503)
    assert patient.dns.records.list(zone_id=ZONE).result == []
    assert len(fake.state.requests) == 2


def test_controls_refuse_nonsense(fake):
    assert httpx.post(f"{fake.url}/_test/failures", json={"status": 404}).status_code == 400
    assert httpx.post(f"{fake.url}/_test/stall", json={"seconds": -1}).status_code == 400
