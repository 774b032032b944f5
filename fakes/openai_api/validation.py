"""Validation of ``POST /v1/chat/completions`` bodies, with OpenAI's messages, params and codes."""

from dataclasses import dataclass
from typing import Any

ROLES = ("system", "developer", "user", "assistant")
_ALL_ROLES = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


@dataclass(frozen=True)
class Problem:
    message: str
    param: str | None
    code: str | None
    status: int = 400


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "an unsupported value")


def _invalid_type(param: str, expected: str, value: Any) -> Problem:
    return Problem(
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
        param,
        "invalid_type",
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _content_problem(param: str, content: Any) -> Problem | None:
    """A string, or (as the real API also accepts) an array of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return None
    if isinstance(content, list) and content:
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text":
                return Problem(
                    f"Invalid value for '{param}[{i}].type': expected 'text'.",
                    f"{param}[{i}].type",
                    "invalid_value",
                )
            if not isinstance(part.get("text"), str):
                return _invalid_type(f"{param}[{i}].text", "a string", part.get("text"))
        return None
    return _invalid_type(param, "one of a string or array of objects", content)


def _messages_problem(messages: Any) -> Problem | None:
    if messages is None:
        return Problem("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
    if not isinstance(messages, list):
        return _invalid_type("messages", "an array of objects", messages)
    if not messages:
        return Problem(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            "messages",
            "empty_array",
        )
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        if not isinstance(message, dict):
            return _invalid_type(param, "an object", message)
        role = message.get("role")
        if role is None:
            return Problem(
                f"Missing required parameter: '{param}.role'.", f"{param}.role", "missing_required_parameter"
            )
        if role not in ROLES:
            return Problem(
                f"Invalid value: '{role}'. Supported values are: {_ALL_ROLES}.",
                f"{param}.role",
                "invalid_value",
            )
        if "content" not in message:
            return Problem(
                f"Missing required parameter: '{param}.content'.",
                f"{param}.content",
                "missing_required_parameter",
            )
        problem = _content_problem(f"{param}.content", message["content"])
        if problem:
            return problem
    return None


def _options_problem(body: dict[str, Any]) -> Problem | None:
    for param in ("max_tokens", "max_completion_tokens"):
        value = body.get(param)
        if value is None:
            continue
        if not _is_int(value):
            return _invalid_type(param, "an integer", value)
        if value < 1:
            return Problem(
                f"Invalid '{param}': integer below minimum value. "
                f"Expected a value >= 1, but got {value} instead.",
                param,
                "integer_below_min_value",
            )
    temperature = body.get("temperature")
    if temperature is not None:
        if not _is_number(temperature):
            return _invalid_type("temperature", "a decimal", temperature)
        if temperature < 0 or temperature > 2:
            above = temperature > 2
            return Problem(
                f"Invalid 'temperature': decimal {'above maximum' if above else 'below minimum'} value. "
                f"Expected a value {'<= 2' if above else '>= 0'}, but got {temperature} instead.",
                "temperature",
                "decimal_above_max_value" if above else "decimal_below_min_value",
            )
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        return _invalid_type("stream", "a boolean", stream)
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            return _invalid_type("stream_options", "an object", options)
        if not stream:
            return Problem(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
                "invalid_value",
            )
        for flag in ("include_usage", "include_obfuscation"):
            if flag in options and not isinstance(options[flag], bool):
                return _invalid_type(f"stream_options.{flag}", "a boolean", options[flag])
    return None


def validate_chat_request(body: Any, models: tuple[str, ...]) -> Problem | None:
    """Return the first problem with a chat completion request, else ``None``."""
    if not isinstance(body, dict):
        return Problem("The request body must be a JSON object.", None, None)
    model = body.get("model")
    if model is None:
        return Problem("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if not isinstance(model, str):
        return _invalid_type("model", "a string", model)
    problem = _messages_problem(body.get("messages")) or _options_problem(body)
    if problem:
        return problem
    if model not in models:
        return Problem(
            f"The model `{model}` does not exist or you do not have access to it.",
            None,
            "model_not_found",
            status=404,
        )
    return None
