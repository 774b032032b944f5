"""A local fake of the part of Cloudflare's v4 API the DNS adapter uses: a zone's DNS records
(``GET``/``POST /client/v4/zones/<zone>/dns_records``, ``GET``/``PUT``/``PATCH``/``DELETE
/client/v4/zones/<zone>/dns_records/<id>``), in Cloudflare's envelope and record shape.

Point the official SDK at it with ``Cloudflare(api_token=..., base_url=server.api_base)``. Test
controls live under ``/_test`` (see ``controls.py``) and, in-process, on ``server.state``.
"""

from .app import create_app
from .server import FakeCloudflareServer, start_in_thread
from .state import CloudflareState

__all__ = ["CloudflareState", "FakeCloudflareServer", "create_app", "start_in_thread"]
