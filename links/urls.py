"""Addresses of the storefront, the portal and tenant sites, built without a request."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Urls:
    public_url: str  # the storefront, e.g. https://contyzr.com or http://localhost:5000
    platform_domain: str  # tenant sites live at <subdomain>.<platform_domain>

    @classmethod
    def from_config(cls, config) -> Urls:
        public = config.get("PUBLIC_URL") or f"http://localhost:{config.get('PORT', 5000)}"
        return cls(public.rstrip("/"), config["PLATFORM_DOMAIN"])

    def site(self, subdomain: str) -> str:
        return self.address(f"{subdomain}.{self.platform_domain}")

    def address(self, host: str) -> str:
        """``https://host/`` with the scheme (and port) of ``PUBLIC_URL``."""
        parts = urlsplit(self.public_url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}/"

    def portal(self) -> str:
        return f"{self.public_url}/portal/"

    def login(self) -> str:
        return f"{self.public_url}/login"

    def signin(self, token: str) -> str:
        return f"{self.public_url}/signin/{token}"

    def billing(self) -> str:
        return f"{self.public_url}/portal/billing"

    def domains(self) -> str:
        return f"{self.public_url}/portal/domain"

    def inbox(self) -> str:
        return f"{self.public_url}/portal/inbox"

    def password_reset(self, token: str) -> str:
        return f"{self.public_url}/password/reset/{token}"

    def invite(self, token: str) -> str:
        return f"{self.public_url}/invites/{token}"

    def shop(self) -> str:
        return f"{self.public_url}/portal/shop"

    def order(self, order_id: int) -> str:
        return f"{self.public_url}/portal/orders/{order_id}"

    def api(self, path: str = "") -> str:
        return f"{self.public_url}/api/v1/{path}"
