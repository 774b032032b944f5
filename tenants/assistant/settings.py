"""Where the provider is: ``AI_API_BASE``, ``AI_API_KEY``, ``AI_MODEL``. Without them the
assistant is "not configured" and nothing else changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AssistantSettings:
    base_url: str | None
    api_key: str | None
    model: str | None
    timeout_seconds: float = 30.0  # the whole answer, streamed or not
    connect_seconds: float = 5.0

    @classmethod
    def from_config(cls, config: Mapping) -> AssistantSettings:
        return cls(base_url=config.get("AI_API_BASE") or None,
                   api_key=config.get("AI_API_KEY") or None,
                   model=config.get("AI_MODEL") or None,
                   timeout_seconds=float(config.get("AI_TIMEOUT_SECONDS") or 30))

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.api_key and self.model)
