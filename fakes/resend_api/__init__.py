"""A local fake of the Resend HTTP API (``POST /emails``, ``GET /emails/<id>``) for tests and dev.

Point the SDK at it with ``resend.api_url = server.url``. Test controls live under ``/_test``
(see ``controls.py``) and, in-process, on ``FakeResendServer.state``.
"""

from .app import create_app
from .server import FakeResendServer, start_in_thread
from .state import ResendState

__all__ = ["FakeResendServer", "ResendState", "create_app", "start_in_thread"]
