"""External providers (DNS record, hosting, TLS) behind one small interface.

The default adapter only records the step. A real adapter implements ``Provider.apply`` (make
the site exist there) and ``Provider.remove`` (make it gone, when the tenant's data is deleted
after retention); both are idempotent. ``HttpProvider`` talks to a provider's API with httpx;
``CloudflareDnsProvider`` keeps the tenant's name in the platform's Cloudflare zone through the
official ``cloudflare`` SDK. Both are tested against local fakes by pointing ``base_url`` at them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

if TYPE_CHECKING:  # the SDK is imported when first used: half a second saved at every start
    import cloudflare


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

    def remove(self, site: SiteSpec) -> str:
        """Make the site gone at this provider (gone already is done); return a short detail."""


@dataclass
class RecordingProvider:
    """The default: nothing to call, the step is recorded in the provisioning run."""

    name: str

    def apply(self, site: SiteSpec) -> str:
        return f"{self.name}: nothing to do for {site.hostname} (no external provider configured)"

    def remove(self, site: SiteSpec) -> str:
        return f"{self.name}: nothing to remove for {site.hostname} (no external provider configured)"


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

    def remove(self, site: SiteSpec) -> str:
        """DELETE {base_url}/sites/{hostname}; 2xx and 404 (gone already) are success."""
        try:
            response = httpx.delete(f"{self.base_url.rstrip('/')}/sites/{site.hostname}",
                                    headers={"Authorization": f"Bearer {self.token}"},
                                    timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderError(f"{self.name}: HTTP {response.status_code}")
        if response.status_code >= 400 and response.status_code != 404:
            raise ProviderError(f"{self.name}: {response.text[:200]}", transient=False)
        return f"{self.name}: removed ({response.status_code})"


T = TypeVar("T")


def _cloudflare_reason(exc: cloudflare.APIError) -> str:
    """Cloudflare's own words: its error messages with their codes."""
    errors = [f"{error.message} ({error.code})" for error in getattr(exc, "errors", None) or []
              if getattr(error, "message", None)]
    if errors:
        return "; ".join(errors)
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}" if status else str(exc)


@dataclass
class CloudflareDnsProvider:
    """The tenant's ``<subdomain>.<PLATFORM_DOMAIN>`` in the platform's Cloudflare zone: one
    CNAME record to the edge's host name (``EDGE_HOSTNAME``), DNS only (never proxied: Caddy
    terminates TLS), TTL automatic, with a comment naming the tenant.

    Cloudflare refusing (a bad token, a zone the token cannot see, a clashing record) is a
    permanent ``ProviderError`` with Cloudflare's message; timeouts, connection failures, 5xx
    and rate limits are transient (after the SDK's own ``max_retries``).
    """

    api_token: str
    zone_id: str
    target: str  # the edge host name the record points at
    base_url: str | None = None  # None: Cloudflare's API; tests point it at fakes/cloudflare_api
    timeout: float = 15.0
    max_retries: int = 2
    proxied: bool = False
    name: str = "dns"
    _client: cloudflare.Cloudflare | None = field(default=None, init=False, repr=False)

    def apply(self, site: SiteSpec) -> str:
        hostname, target = site.hostname.lower(), self.target.rstrip(".").lower()
        wanted = {"type": "CNAME", "content": target, "proxied": self.proxied, "ttl": 1,
                  "comment": f"contyzr tenant {site.tenant_id}"}
        found = self._records(hostname)
        if not found:
            made = self._call("create the record", self._api().dns.records.create,
                              zone_id=self.zone_id, name=hostname, **wanted)
            return f"{self.name}: {hostname} CNAME {target} created (record {made.id})"
        record = found[0]
        current = {"type": record.type, "content": (record.content or "").rstrip(".").lower(),
                   "proxied": bool(record.proxied), "ttl": record.ttl, "comment": record.comment}
        if current == wanted:
            return f"{self.name}: {hostname} CNAME {target} already in place"
        self._call("update the record", self._api().dns.records.update, record.id,
                   zone_id=self.zone_id, name=hostname, **wanted)
        return f"{self.name}: {hostname} CNAME {target} updated (was {current['content']})"

    def remove(self, site: SiteSpec) -> str:
        import cloudflare

        hostname = site.hostname.lower()
        removed = 0
        for record in self._records(hostname):
            try:
                self._call("delete the record", self._api().dns.records.delete, record.id,
                           zone_id=self.zone_id)
            except ProviderError as exc:
                if not isinstance(exc.__cause__, cloudflare.NotFoundError):
                    raise
            removed += 1
        return (f"{self.name}: {hostname} removed" if removed
                else f"{self.name}: {hostname} had no record")

    def _records(self, hostname: str) -> list[Any]:
        page = self._call("list records", self._api().dns.records.list, zone_id=self.zone_id,
                          name={"exact": hostname}, type="CNAME", per_page=100)
        return [record for record in page.result or []
                if record.type == "CNAME" and record.name.lower() == hostname]

    def _api(self) -> cloudflare.Cloudflare:
        missing = [setting for setting, value in (("CLOUDFLARE_API_TOKEN", self.api_token),
                                                  ("CLOUDFLARE_ZONE_ID", self.zone_id),
                                                  ("EDGE_HOSTNAME", self.target)) if not value]
        if missing:
            raise ProviderError(f"{self.name}: DNS_PROVIDER is cloudflare but "
                                f"{', '.join(missing)} is not set", transient=False)
        if self._client is None:
            import cloudflare

            self._client = cloudflare.Cloudflare(api_token=self.api_token, base_url=self.base_url,
                                                 timeout=self.timeout,
                                                 max_retries=self.max_retries)
        return self._client

    def _call(self, what: str, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        import cloudflare

        try:
            return method(*args, **kwargs)
        except (cloudflare.APIConnectionError, cloudflare.RateLimitError,
                cloudflare.InternalServerError) as exc:
            raise ProviderError(f"{self.name}: Cloudflare could not {what} for now: "
                                f"{_cloudflare_reason(exc)}") from exc
        except cloudflare.APIStatusError as exc:
            raise ProviderError(f"{self.name}: Cloudflare refused to {what}: "
                                f"{_cloudflare_reason(exc)}", transient=False) from exc
        except cloudflare.APIError as exc:  # an answer the SDK could not read: try again later
            raise ProviderError(f"{self.name}: Cloudflare could not {what} for now: "
                                f"{_cloudflare_reason(exc)}") from exc


def default_providers() -> list[Provider]:
    return [RecordingProvider("dns"), RecordingProvider("hosting"), RecordingProvider("tls")]


def providers_from_config(config: Mapping[str, Any]) -> list[Provider]:
    """The providers the settings choose: ``DNS_PROVIDER=cloudflare`` puts the Cloudflare
    adapter in the "dns" place; everything else is the recording default."""
    providers = default_providers()
    if config.get("DNS_PROVIDER") == "cloudflare":
        providers[0] = CloudflareDnsProvider(
            api_token=config.get("CLOUDFLARE_API_TOKEN") or "",
            zone_id=config.get("CLOUDFLARE_ZONE_ID") or "",
            target=config.get("EDGE_HOSTNAME") or "",
            base_url=config.get("CLOUDFLARE_API_BASE") or None)
    return providers


def site_spec(tenant_id: int, subdomain: str, platform_domain: str) -> SiteSpec:
    """What the providers are told about a tenant's site (its name on the platform)."""
    return SiteSpec(tenant_id=tenant_id, subdomain=subdomain,
                    hostname=f"{subdomain}.{platform_domain}")


def remove_everywhere(providers: list[Provider], site: SiteSpec) -> str:
    """``remove`` at every provider; the first ``ProviderError`` propagates."""
    return "; ".join(provider.remove(site) for provider in providers)
