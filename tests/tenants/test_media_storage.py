"""Both media storage backends behave alike: a folder on disk and an S3-compatible store
(moto's server, started by the test run)."""

import itertools

import boto3
import pytest

from tenants.media_storage import (
    DirectoryStorage,
    S3Storage,
    StorageUnavailable,
    key_of,
    storage_from_config,
    tenant_prefix,
)

_tenant_ids = itertools.count(900_000)


def s3_storage(settings: dict) -> S3Storage:
    return S3Storage(settings["MEDIA_S3_BUCKET"], endpoint_url=settings["MEDIA_S3_ENDPOINT"],
                     access_key_id=settings["MEDIA_S3_ACCESS_KEY_ID"],
                     secret_access_key=settings["MEDIA_S3_SECRET_ACCESS_KEY"],
                     region=settings["MEDIA_S3_REGION"])


@pytest.fixture(params=["directory", "s3"])
def storage(request, tmp_path):
    if request.param == "directory":
        return DirectoryStorage(tmp_path / "media")
    return s3_storage(request.getfixturevalue("s3_server").settings)


@pytest.fixture
def key() -> str:
    """A key no other test uses (the S3 bucket lives as long as the test run)."""
    return key_of(next(_tenant_ids), "0123456789abcdef0123456789abcdef.png")


def test_a_stored_file_reads_back_and_is_gone_once_deleted(storage, key):
    assert storage.get(key) is None and not storage.exists(key)
    storage.put(key, b"\x89PNG first", "image/png")
    assert storage.exists(key) and storage.get(key) == b"\x89PNG first"
    storage.put(key, b"\x89PNG second", "image/png")  # the same key again replaces it
    assert storage.get(key) == b"\x89PNG second"
    storage.delete(key)
    assert storage.get(key) is None and not storage.exists(key)
    storage.delete(key)  # deleting what is gone is not an error


def test_files_of_two_tenants_never_mix(storage):
    first, second = next(_tenant_ids), next(_tenant_ids)
    storage.put(key_of(first, "same.png"), b"first tenant", "image/png")
    assert storage.get(key_of(second, "same.png")) is None
    storage.put(key_of(second, "same.png"), b"second tenant", "image/png")
    assert storage.get(key_of(first, "same.png")) == b"first tenant"


@pytest.mark.parametrize("name", ["../escape.png", "a/b.png", ".hidden", "..", "x\x00.png", "",
                                  "a b.png", "é.png"])
def test_names_that_are_not_ours_never_become_keys(storage, name):
    with pytest.raises(ValueError):
        key_of(1, name)
    for key in (f"1/{name}", f"../{name}", f"/1/{name}"):
        with pytest.raises(ValueError):
            storage.put(key, b"x", "image/png")
        with pytest.raises(ValueError):
            storage.get(key)


def test_the_directory_backend_keeps_tenant_folders_and_leaves_no_partial_files(tmp_path):
    storage = DirectoryStorage(tmp_path)
    storage.put("7/abc.png", b"data", "image/png")
    assert [path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*")
            if path.is_file()] == ["7/abc.png"]
    assert (tmp_path / "7" / "abc.png").read_bytes() == b"data"


def test_the_s3_backend_stores_the_content_type(s3_server, key):
    s3_storage(s3_server.settings).put(key, b"%PDF-1.4", "application/pdf")
    client = boto3.client("s3", endpoint_url=s3_server.url, region_name="eu-west-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
    head = client.head_object(Bucket=s3_server.settings["MEDIA_S3_BUCKET"], Key=key)
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == 8


def test_the_settings_choose_the_backend(s3_server, tmp_path, key):
    config = {"MEDIA_ROOT": str(tmp_path / "one")}
    local = storage_from_config(config)
    assert isinstance(local, DirectoryStorage)
    config["MEDIA_ROOT"] = str(tmp_path / "two")  # the folder follows the setting
    local.put(key, b"here", "image/png")
    assert (tmp_path / "two" / key).read_bytes() == b"here" and not (tmp_path / "one").exists()

    remote = storage_from_config({**config, **s3_server.settings})
    assert isinstance(remote, S3Storage)
    remote.put(key, b"there", "image/png")
    assert s3_storage(s3_server.settings).get(key) == b"there"


def test_keys_list_one_tenants_files_only(storage):
    first, second = next(_tenant_ids), next(_tenant_ids)
    storage.put(key_of(first, "a.png"), b"a", "image/png")
    storage.put(key_of(first, "b-480.png"), b"b", "image/png")
    storage.put(key_of(second, "c.png"), b"c", "image/png")
    assert storage.keys(tenant_prefix(first)) == [key_of(first, "a.png"), key_of(first, "b-480.png")]
    assert storage.keys(tenant_prefix(next(_tenant_ids))) == []


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["directory", "s3"])
def unreachable(request, tmp_path):
    """A storage that cannot be reached: S3 at a closed port, a folder where a file is."""
    if request.param == "directory":
        (tmp_path / "a-file").write_bytes(b"")
        return DirectoryStorage(tmp_path / "a-file")
    return S3Storage("contyzr-media", endpoint_url=f"http://127.0.0.1:{closed_port()}",
                     access_key_id="k", secret_access_key="s", region="eu-west-1")


def test_an_unreachable_storage_raises_one_clear_error(unreachable, key):
    for attempt in (lambda: unreachable.put(key, b"x", "image/png"), lambda: unreachable.get(key),
                    lambda: unreachable.delete(key), lambda: unreachable.exists(key),
                    lambda: unreachable.keys(key.split("/")[0] + "/")):
        with pytest.raises(StorageUnavailable) as raised:
            attempt()
        assert raised.value.status == 503
        assert raised.value.message == ("File storage is unavailable right now; nothing was "
                                        "changed. Try again in a minute.")
