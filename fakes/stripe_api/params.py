"""Typed access to decoded request parameters, failing with Stripe's 400 messages.

Values come from form encoding (always strings) or, for the test controls, from JSON
bodies (numbers and booleans too); every accessor takes both.
"""

import math
from typing import Any

from .errors import invalid, missing

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class Params:
    def __init__(self, data: dict[str, Any], prefix: str = ""):
        self._data = data
        self._prefix = prefix

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def names(self) -> list[str]:
        return list(self._data)

    def param(self, name: str) -> str:
        """The name as a client wrote it, e.g. ``line_items[0][price]``."""
        return f"{self._prefix}[{name}]" if self._prefix else name

    def _get(self, name: str, required: bool) -> Any:
        value = self._data.get(name)
        if value is None and required:
            raise missing(self.param(name))
        return value

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise invalid(f"Invalid string: {value!r}.", param=self.param(name))
        if required and value == "":
            raise invalid(
                f"You passed an empty string for '{self.param(name)}'. "
                "We assume empty values are an attempt to unset a parameter; however "
                f"'{self.param(name)}' cannot be unset.",
                param=self.param(name),
            )
        return str(value)

    def choice(self, name: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
        """One of ``choices``; ``default`` (which need not be one) when absent."""
        value = self.text(name, required=default is None, default=default)
        assert value is not None
        if value != default and value not in choices:
            raise invalid(
                f"Invalid {self.param(name)}: must be one of {', '.join(choices)}.",
                param=self.param(name),
            )
        return value

    def integer(
        self, name: str, *, required: bool = False, default: int | None = None, minimum: int = 0
    ) -> int | None:
        value = self._get(name, required)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())
        ):
            raise invalid(f"Invalid integer: {value}.", param=self.param(name))
        if int(value) < minimum:
            raise invalid(f"Invalid {self.param(name)}: must be at least {minimum}.", param=self.param(name))
        return int(value)

    def number(self, name: str, *, default: float | None = None) -> float | None:
        value = self._get(name, required=default is None)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise invalid(f"Invalid number: {value}.", param=self.param(name))
        return number

    def numbers(self, name: str) -> list[float]:
        """A list of numbers; an empty value is the empty list."""
        value = self._get(name, required=False)
        if value in (None, ""):
            return []
        values = dict(enumerate(value if isinstance(value, list) else [value]))
        listed = Params({str(index): item for index, item in values.items()}, self.param(name))
        return [listed.number(str(index)) for index in values]

    def flag(self, name: str, *, default: bool | None = None) -> bool | None:
        value = self._get(name, required=False)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in _TRUE:
            return True
        if str(value).lower() in _FALSE:
            return False
        raise invalid(f"Invalid boolean: {value}.", param=self.param(name))

    def nested(self, name: str) -> "Params":
        value = self._get(name, required=False)
        if value in (None, ""):
            value = {}
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {self.param(name)} must be a hash.", param=self.param(name))
        return Params(value, self.param(name))

    def records(self, name: str, *, required: bool = False) -> list["Params"]:
        """A list of hashes, like ``line_items``."""
        value = self._get(name, required)
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid(
                f"Invalid array: {self.param(name)} must be a list of hashes.",
                param=self.param(name),
            )
        return [Params(item, f"{self.param(name)}[{index}]") for index, item in enumerate(value)]

    def strings(self, name: str) -> list[str]:
        value = self._get(name, required=False)
        if value in (None, ""):
            return []
        values = list(value) if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise invalid(
                f"Invalid array: {self.param(name)} must be a list of strings.",
                param=self.param(name),
            )
        return values

    def metadata(self, current: dict[str, str] | None = None) -> dict[str, str]:
        """``current`` updated with ``metadata``; an empty value unsets a key, or all of them."""
        value = self._get("metadata", required=False)
        if value == "":
            return {}
        if value is None:
            return dict(current or {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise invalid("Invalid metadata: it must be a hash of strings.", param=self.param("metadata"))
        updated = dict(current or {})
        for key, text in value.items():
            if len(key) > 40 or len(text) > 500:
                raise invalid(
                    "Metadata keys are limited to 40 characters and values to 500.",
                    param=f"{self.param('metadata')}[{key}]",
                )
            if text == "":
                updated.pop(key, None)
            else:
                updated[key] = text
        if len(updated) > 50:
            raise invalid("Metadata can have at most 50 keys.", param=self.param("metadata"))
        return updated
