"""Where uploaded files live: one interface, ``MediaStorage``, and two backends.

A file is stored under a key ``<tenant id>/<storage name>`` (see ``key_of``); the storage name
is random and ours, so nothing an uploader chose reaches a path or an object key.

- ``DirectoryStorage``: files under a local folder (``MEDIA_ROOT``), ``<root>/<key>``. The
  default.
- ``S3Storage``: objects in a bucket of any S3-compatible store (AWS, MinIO, Ceph, R2...),
  used when ``MEDIA_S3_BUCKET`` is set.

``storage_from_config`` picks one from the app's settings; the app builds it once.

When the store cannot be reached or written (S3 down or refusing, the folder missing its rights
or its disk full), both backends raise ``StorageUnavailable``: a ``Refused`` with status 503, so
the web app's one refusal handler rolls the request back and says so, and a job fails to be run
again later.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from db.messages import N_
from db.refusals import Refused

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[0-9]+/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")


def key_of(tenant_id: int, storage_name: str) -> str:
    """The key of one of a tenant's files. Raises ``ValueError`` for a name that is not one
    of ours (a folder, ``..``, a hidden name)."""
    return _checked(f"{tenant_id}/{storage_name}")


class StorageUnavailable(Refused):
    """The store could not be reached or written; whatever asked changed nothing."""

    MESSAGE = N_("File storage is unavailable right now; nothing was changed. "
                 "Try again in a minute.")

    def __init__(self) -> None:
        super().__init__(self.MESSAGE, status=503)


@contextlib.contextmanager
def _unavailable_on(*errors: type[BaseException]) -> Iterator[None]:
    """Raise ``StorageUnavailable`` for any of ``errors``, logged with its cause."""
    try:
        yield
    except errors as error:
        log.warning("media storage unavailable: %r", error)
        raise StorageUnavailable() from error


def tenant_prefix(tenant_id: int) -> str:
    """The start of every key of the tenant's files."""
    return f"{int(tenant_id)}/"


class MediaStorage(Protocol):
    """Stored files by key. Writing a key that exists replaces it; deleting a missing key
    does nothing. Every method raises ``StorageUnavailable`` when the store cannot be
    reached."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> list[str]:
        """Every stored key that starts with ``prefix`` (e.g. ``tenant_prefix(7)``); a
        folder's half-written ``.partial`` files are not keys."""


def _checked(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key) or ".." in key:
        raise ValueError(f"not a media key: {key!r}")
    return key


class DirectoryStorage:
    """Files in a local folder. ``root`` may be a callable read at each use, so that the
    folder follows a setting that changes while the app runs (tests point it elsewhere)."""

    def __init__(self, root: str | Path | Callable[[], str | Path]):
        self._root = root if callable(root) else (lambda: root)

    def path(self, key: str) -> Path:
        return Path(self._root()) / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        partial = path.with_name(f".{path.name}.partial")
        with _unavailable_on(OSError):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial.write_bytes(data)
                partial.replace(path)  # readers never see half a file
            except OSError:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
                raise

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        with _unavailable_on(OSError):
            try:
                return path.read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                return None
            except NotADirectoryError:
                if self._root_is_usable():
                    return None  # a name below a file: no such file
                raise

    def delete(self, key: str) -> None:
        path = self.path(key)
        with _unavailable_on(OSError):
            try:
                path.unlink(missing_ok=True)
            except NotADirectoryError:
                if not self._root_is_usable():
                    raise

    def exists(self, key: str) -> bool:
        path = self.path(key)
        with _unavailable_on(OSError):
            if not self._root_is_usable():
                raise NotADirectoryError(f"media folder {self._root()} is not a folder")
            return path.is_file()

    def keys(self, prefix: str) -> list[str]:
        root = Path(self._root())
        folder = root / prefix.rpartition("/")[0]  # only the folder the prefix names
        with _unavailable_on(OSError):
            if not self._root_is_usable():
                raise NotADirectoryError(f"media folder {root} is not a folder")
            if not folder.is_dir():
                return []
            found = (path.relative_to(root).as_posix() for path in folder.rglob("*")
                     if path.is_file())
            return sorted(key for key in found
                          if key.startswith(prefix) and KEY_PATTERN.fullmatch(key))

    def _root_is_usable(self) -> bool:
        """The folder exists as a folder, or does not exist yet (the first upload makes it)."""
        root = Path(self._root())
        return root.is_dir() or not root.exists()


class S3Storage:
    """Objects in one bucket of an S3-compatible store, through boto3."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 region: str | None = None, client: Any = None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        # A store of one's own (MinIO, a test server) is addressed by path; AWS by its default.
        style = "path" if endpoint_url else "auto"
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key, region_name=region,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                          s3={"addressing_style": style}))

    def _missing(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        return code in ("404", "NoSuchKey", "NotFound")

    @staticmethod
    def _failures() -> tuple[type[BaseException], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return BotoCoreError, ClientError, OSError

    def put(self, key: str, data: bytes, content_type: str) -> None:
        key = _checked(key)
        with _unavailable_on(*self._failures()):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                                   ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        key = _checked(key)
        with _unavailable_on(*self._failures()):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if self._missing(error):
                    return None
                raise
            with answer["Body"] as body:
                return body.read()

    def delete(self, key: str) -> None:
        key = _checked(key)
        with _unavailable_on(*self._failures()):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        key = _checked(key)
        with _unavailable_on(*self._failures()):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if self._missing(error):
                    return False
                raise
            return True

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        with _unavailable_on(*self._failures()):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                found += [item["Key"] for item in page.get("Contents", ())]
        return sorted(key for key in found if KEY_PATTERN.fullmatch(key))


def storage_from_config(config: Mapping[str, Any]) -> MediaStorage:
    """S3 when ``MEDIA_S3_BUCKET`` is set, otherwise the folder ``MEDIA_ROOT`` (read from
    ``config`` at each use)."""
    if config.get("MEDIA_S3_BUCKET"):
        return S3Storage(config["MEDIA_S3_BUCKET"], endpoint_url=config.get("MEDIA_S3_ENDPOINT"),
                         access_key_id=config.get("MEDIA_S3_ACCESS_KEY_ID"),
                         secret_access_key=config.get("MEDIA_S3_SECRET_ACCESS_KEY"),
                         region=config.get("MEDIA_S3_REGION"))
    return DirectoryStorage(lambda: config["MEDIA_ROOT"])
