"""External providers (DNS record, hosting, TLS) behind one small interface.

The default adapter only records the step. A real adapter implements ``Provider.apply``; an
HTTP one (see ``HttpProvider``) posts to the provider's API with httpx and can be tested
against a local fake by pointing ``base_url`` at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True)
class SiteSpec:
    tenant_id: int
    subdomain: str
    hostname: str


class ProviderError(Exception):
    """A provider failed; ``transient`` errors are retried by the job."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class Provider(Protocol):
    name: str  # the provisioning step it performs: "dns", "hosting" or "tls"

    def apply(self, site: SiteSpec) -> str:
        """Make the site exist at this provider (idempotently); return a short detail."""


@dataclass
class RecordingProvider:
    """The default: nothing to call, the step is recorded in the provisioning run."""

    name: str

    def apply(self, site: SiteSpec) -> str:
        return f"{self.name}: nothing to do for {site.hostname} (no external provider configured)"


@dataclass
class HttpProvider:
    """PUT {base_url}/sites/{hostname} with the site; 2xx is success, 5xx/timeouts transient."""

    name: str
    base_url: str
    token: str
    timeout: float = 10.0

    def apply(self, site: SiteSpec) -> str:
        try:
            response = httpx.put(
                f"{self.base_url.rstrip('/')}/sites/{site.hostname}",
                json={"tenant_id": site.tenant_id, "subdomain": site.subdomain},
                headers={"Authorization": f"Bearer {self.token}",
                         "Idempotency-Key": f"{self.name}-{site.tenant_id}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderError(f"{self.name}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ProviderError(f"{self.name}: {response.text[:200]}", transient=False)
        return f"{self.name}: {response.status_code}"


def default_providers() -> list[Provider]:
    return [RecordingProvider("dns"), RecordingProvider("hosting"), RecordingProvider("tls")]
