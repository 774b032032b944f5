"""A local fake of an OpenAI-compatible chat completions API (``POST /v1/chat/completions``,
``GET /v1/models``) for tests and dev, speaking the real wire format (JSON and SSE streams).

Point the official SDK at it with ``OpenAI(base_url=server.api_base, api_key="sk-test")``.
Test controls live under ``/_test`` (see ``controls.py``) and, in-process, on
``FakeOpenAIServer.state``.
"""

from .app import create_app
from .server import FakeOpenAIServer, start_in_thread
from .state import OpenAIState

__all__ = ["FakeOpenAIServer", "OpenAIState", "create_app", "start_in_thread"]
