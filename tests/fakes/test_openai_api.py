"""The fake OpenAI-compatible API, driven through the official ``openai`` SDK.

The SDK only needs ``base_url`` pointed at the fake (``server.api_base``, i.e. ``<url>/v1``);
the controls under ``/_test`` are driven with plain HTTP.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fakes.openai_api import OpenAIState, create_app, start_in_thread

API_KEY = "sk-test"
MODEL = "gpt-4o-mini"
PROMPT = "Name   a\n tea shop  in Lisbon"
ANSWER = "Concept: Name a tea shop in Lisbon"


def ask(text=PROMPT):
    return [{"role": "system", "content": "You name shops."}, {"role": "user", "content": text}]


@pytest.fixture(scope="module")
def fake():
    with start_in_thread(api_keys=[API_KEY, "sk-other"]) as server:
        yield server


@pytest.fixture(scope="module")
def control(fake):
    with httpx.Client(base_url=f"{fake.url}/_test") as client:
        yield client


@pytest.fixture(autouse=True)
def fresh(control):
    control.post("/reset").raise_for_status()
    yield
    control.post("/reset").raise_for_status()  # also releases requests left hanging


@pytest.fixture(scope="module")
def client(fake):
    with OpenAI(base_url=fake.api_base, api_key=API_KEY, max_retries=0, timeout=10) as sdk:
        yield sdk


def behave(control, **payload):
    control.post("/behaviour", json=payload).raise_for_status()


def raw_stream(client, **params):
    """The ``data:`` payloads of a stream, parsed, as the SDK received them ([DONE] last)."""
    response = client.chat.completions.with_raw_response.create(stream=True, **params)
    events = [line.removeprefix("data: ") for line in response.http_response.iter_lines() if line]
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


# Completions


def test_a_completion_has_the_real_shape_and_a_predictable_answer(client):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=ask())
    body = json.loads(raw.http_response.text)

    completion = ChatCompletion.model_validate(body)
    assert raw.http_response.headers["content-type"] == "application/json"
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == MODEL
    assert abs(completion.created - time.time()) < 60
    [choice] = completion.choices
    assert (choice.index, choice.finish_reason) == (0, "stop")
    assert choice.message.role == "assistant"
    assert choice.message.content == ANSWER
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": ANSWER,
        "refusal": None,
        "annotations": [],
    }
    assert completion.system_fingerprint.startswith("fp_")
    assert completion.service_tier == "default"


def test_usage_counts_words_as_tokens(client):
    completion = client.chat.completions.create(model=MODEL, messages=ask())

    usage = completion.usage
    assert usage.prompt_tokens == 3 + 6  # "You name shops." + the prompt
    assert usage.completion_tokens == 7
    assert usage.total_tokens == 16
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_the_default_answer_takes_the_last_user_message_first_200_characters(client):
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "word " * 100},
    ]

    answer = client.chat.completions.create(model=MODEL, messages=messages).choices[0].message.content

    assert answer == "Concept: " + ("word " * 40)[:200]


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_a_small_token_limit_cuts_the_answer_with_finish_reason_length(client, param):
    completion = client.chat.completions.create(model=MODEL, messages=ask(), **{param: 3})

    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "Concept: Name a"
    assert completion.usage.completion_tokens == 3


def test_text_content_parts_are_accepted(client):
    messages = [{"role": "user", "content": [{"type": "text", "text": "Hello there"}]}]

    completion = client.chat.completions.create(model=MODEL, messages=messages)

    assert completion.choices[0].message.content == "Concept: Hello there"


def test_scripted_replies_come_first_in_first_out(client, control):
    control.post("/replies", json={"content": "One."}).raise_for_status()
    control.post("/replies", json={"content": ["Two.", "Three."]}).raise_for_status()

    answers = [client.chat.completions.create(model=MODEL, messages=ask()) for _ in range(4)]

    assert [a.choices[0].message.content for a in answers] == ["One.", "Two.", "Three.", ANSWER]


def test_the_request_log_holds_what_was_sent(client, control):
    client.chat.completions.create(model=MODEL, messages=ask(), temperature=0.2, max_tokens=50)
    client.models.list()

    completion_request, models_request = control.get("/requests").json()
    assert completion_request["method"] == "POST"
    assert completion_request["path"] == "/v1/chat/completions"
    assert completion_request["body"] == {
        "model": MODEL,
        "messages": ask(),
        "temperature": 0.2,
        "max_tokens": 50,
    }
    assert completion_request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert (completion_request["status"], completion_request["finished"]) == (200, True)
    assert (models_request["path"], models_request["body"]) == ("/v1/models", None)


def test_models_are_listed(client):
    models = client.models.list()

    assert MODEL in [model.id for model in models]
    assert {model.object for model in models} == {"model"}


# Streaming


def test_a_stream_delivers_the_answer_in_order_with_usage_last(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=ask(), stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    first, *content, finish, usage = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content == ""
    assert len(content) == 3  # a few words each
    assert "".join(chunk.choices[0].delta.content for chunk in content) == ANSWER
    assert [chunk.choices[0].finish_reason for chunk in [first, *content]] == [None] * 4
    assert finish.choices[0].finish_reason == "stop"
    assert finish.choices[0].delta.content is None
    assert usage.choices == []
    assert (usage.usage.prompt_tokens, usage.usage.completion_tokens) == (9, 7)
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_a_stream_without_include_usage_has_no_usage_chunk(client):
    chunks = list(client.chat.completions.create(model=MODEL, messages=ask(), stream=True))

    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.choices and chunk.usage is None for chunk in chunks)


def test_stream_events_are_sse_data_lines_of_chunk_json(client):
    response = client.chat.completions.with_raw_response.create(model=MODEL, messages=ask(), stream=True)

    assert response.http_response.headers["content-type"] == "text/event-stream; charset=utf-8"
    text = response.http_response.read().decode()
    events = text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    for event in events[:-2]:
        assert event.startswith("data: ")
        ChatCompletionChunk.model_validate_json(event.removeprefix("data: "))


def test_a_streamed_answer_can_be_cut_by_max_tokens(client, control):
    control.post("/replies", json={"content": "one two three four five"}).raise_for_status()

    chunks = list(client.chat.completions.create(model=MODEL, messages=ask(), stream=True, max_tokens=4))

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three four"
    assert chunks[-1].choices[0].finish_reason == "length"


def test_a_stream_arrives_incrementally(client, control, fake):
    behave(control, chunk_delay_ms=100)
    control.post("/replies", json={"content": "a b c d e f g h i"}).raise_for_status()  # 3 pieces

    stream = client.chat.completions.create(model=MODEL, messages=ask(), stream=True)
    first = next(stream)
    # The fake marks the request finished only after writing its last event, 5 * 100 ms after
    # the first: so the first chunk is here while the rest is still to be sent.
    sent_everything_already = fake.requests[-1]["finished"]
    arrivals = [time.monotonic()]
    for _ in stream:
        arrivals.append(time.monotonic())

    assert first.choices[0].delta.role == "assistant"
    assert sent_everything_already is False
    assert fake.requests[-1]["finished"] is True
    assert arrivals[-1] - arrivals[0] >= 0.3  # 4 more events at >= 100 ms each


def test_obfuscation_can_be_switched_off(client):
    with_it = raw_stream(client, model=MODEL, messages=ask())
    without = raw_stream(
        client, model=MODEL, messages=ask(), stream_options={"include_obfuscation": False}
    )

    assert all(isinstance(chunk["obfuscation"], str) for chunk in with_it)
    assert all("obfuscation" not in chunk for chunk in without)


# Failures as the SDK reports them


def test_a_wrong_api_key_is_a_401(client):
    with pytest.raises(openai.AuthenticationError) as raised:
        client.with_options(api_key="sk-wrong-key-1234").chat.completions.create(model=MODEL, messages=ask())

    assert raised.value.status_code == 401
    assert raised.value.code == "invalid_api_key"
    assert raised.value.type == "invalid_request_error"
    assert raised.value.message.startswith("Error code: 401 - ")
    assert "Incorrect API key provided: sk-*" in raised.value.body["message"]


def test_a_missing_api_key_is_a_401(fake):
    # The SDK refuses to send a request without a key, so this one goes over plain HTTP.
    response = httpx.post(f"{fake.api_base}/chat/completions", json={"model": MODEL, "messages": ask()})

    assert response.status_code == 401
    assert response.json()["error"]["code"] is None
    assert response.json()["error"]["message"].startswith("You didn't provide an API key.")


def test_another_configured_api_key_is_accepted(client):
    other = client.with_options(api_key="sk-other")

    assert other.chat.completions.create(model=MODEL, messages=ask()).choices


def test_an_error_body_has_exactly_openais_shape(fake):
    response = httpx.post(f"{fake.api_base}/chat/completions", json={"model": MODEL})

    assert response.status_code == 401
    assert response.json()["error"].keys() == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"messages": []}, "messages", "empty_array"),
        ({"messages": [{"role": "bot", "content": "hi"}]}, "messages[0].role", "invalid_value"),
        ({"messages": [{"role": "user"}]}, "messages[0].content", "missing_required_parameter"),
        ({"messages": [{"role": "user", "content": 7}]}, "messages[0].content", "invalid_type"),
        ({"messages": ["hi"]}, "messages[0]", "invalid_type"),
        ({"temperature": 2.5}, "temperature", "decimal_above_max_value"),
        ({"temperature": -1}, "temperature", "decimal_below_min_value"),
        ({"max_tokens": 0}, "max_tokens", "integer_below_min_value"),
        ({"max_completion_tokens": "9"}, "max_completion_tokens", "invalid_type"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        ({"model": 4}, "model", "invalid_type"),
    ],
)
def test_invalid_requests_are_400s_naming_the_param(client, fake, overrides, param, code):
    params = {"model": MODEL, "messages": ask()} | overrides

    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(**params)

    assert raised.value.status_code == 400
    assert raised.value.param == param
    assert raised.value.code == code
    assert raised.value.type == "invalid_request_error"
    assert fake.requests[-1]["status"] == 400


def test_a_missing_messages_param_is_a_400(fake):
    headers = {"Authorization": f"Bearer {API_KEY}"}
    response = httpx.post(f"{fake.api_base}/chat/completions", json={"model": MODEL}, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"
    assert response.json()["error"]["code"] == "missing_required_parameter"


def test_an_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-9-imaginary", messages=ask())

    assert raised.value.code == "model_not_found"
    assert "`gpt-9-imaginary` does not exist" in raised.value.message


def test_rate_limited_is_a_429_with_retry_after(client, control):
    behave(control, mode="rate_limited")

    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=MODEL, messages=ask())

    assert raised.value.status_code == 429
    assert raised.value.code == "rate_limit_exceeded"
    assert raised.value.response.headers["Retry-After"] == "1"
    assert client.chat.completions.create(model=MODEL, messages=ask()).choices  # times=1


def test_error_is_a_500_for_the_next_times_requests(client, control):
    behave(control, mode="error", times=2)

    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model=MODEL, messages=ask())
        assert raised.value.status_code == 500
        assert raised.value.type == "server_error"
    assert client.chat.completions.create(model=MODEL, messages=ask()).choices


def test_the_sdk_retries_a_500_by_itself(client, fake, control):
    behave(control, mode="error")

    assert client.with_options(max_retries=1).chat.completions.create(model=MODEL, messages=ask()).choices

    assert [entry["status"] for entry in fake.requests] == [500, 200]


def test_slow_answers_after_delay_ms(client, control):
    behave(control, mode="slow", delay_ms=200)

    started = time.monotonic()
    assert client.chat.completions.create(model=MODEL, messages=ask()).choices
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("mode", ["slow", "hang"])
def test_slow_and_hang_time_out_a_short_client_timeout(client, control, mode):
    behave(control, mode=mode, delay_ms=5000)

    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(model=MODEL, messages=ask())


def test_slow_also_paces_a_stream(client, control):
    behave(control, mode="slow", delay_ms=100)
    control.post("/replies", json={"content": "Hi."}).raise_for_status()
    started = time.monotonic()

    stream = client.chat.completions.create(model=MODEL, messages=ask(), stream=True)
    chunks = list(stream)

    # The fake waits before each chunk: a lower bound on the whole stream, whatever the load
    # (chunks may arrive bunched, so the gaps between them say nothing).
    assert len(chunks) == 3  # role, content, finish
    assert time.monotonic() - started >= 0.29


def test_reset_releases_a_hanging_request(client, fake, control):
    behave(control, mode="hang")
    resetter = threading.Timer(0.2, lambda: httpx.post(f"{fake.url}/_test/reset"))
    started = time.monotonic()

    resetter.start()
    assert client.chat.completions.create(model=MODEL, messages=ask()).choices

    resetter.join()
    assert time.monotonic() - started < 4


def test_a_truncated_stream_stops_without_finish_reason_as_a_connection_error(client, control):
    behave(control, mode="truncated")
    received = []

    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(model=MODEL, messages=ask(), stream=True):
            received.append(chunk)

    assert received[0].choices[0].delta.role == "assistant"
    assert any(chunk.choices[0].delta.content for chunk in received)
    assert all(chunk.choices[0].finish_reason is None for chunk in received)
    assert "".join(c.choices[0].delta.content for c in received) != ANSWER


def test_a_truncated_completion_is_a_connection_error(client, control):
    behave(control, mode="truncated")

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=ask())


def test_a_malformed_stream_event_raises_a_json_error_not_an_openai_error(client, control):
    behave(control, mode="malformed")
    received = []

    with pytest.raises(json.JSONDecodeError) as raised:
        for chunk in client.chat.completions.create(model=MODEL, messages=ask(), stream=True):
            received.append(chunk)

    assert not isinstance(raised.value, openai.OpenAIError)
    assert len(received) == 2  # the role chunk and one content chunk came through


def test_a_malformed_completion_body_raises_a_json_error(client, control):
    behave(control, mode="malformed")

    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model=MODEL, messages=ask())


# Controls


@pytest.mark.parametrize(
    "payload",
    [{}, {"mode": "explode"}, {"mode": "error", "times": -1}, {"mode": "slow", "delay_ms": "1"},
     {"chunk_delay_ms": -5}],
)
def test_invalid_behaviours_are_400(control, payload):
    assert control.post("/behaviour", json=payload).status_code == 400


def test_invalid_replies_are_400(control):
    assert control.post("/replies", json={"content": 5}).status_code == 400


def test_reset_forgets_requests_replies_behaviours_and_pace(client, control, fake):
    control.post("/replies", json={"content": "scripted"}).raise_for_status()
    behave(control, mode="error", times=5, chunk_delay_ms=500)
    client.models.list()

    control.post("/reset").raise_for_status()

    assert control.get("/requests").json() == []
    assert fake.state.chunk_delay_ms == OpenAIState().chunk_delay_ms
    assert client.chat.completions.create(model=MODEL, messages=ask()).choices[0].message.content == ANSWER


def test_unknown_paths_answer_in_openai_shape(fake):
    response = httpx.post(f"{fake.url}/v1/nowhere")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "Invalid URL (POST /v1/nowhere)",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_the_app_factory_works_without_a_server():
    client = create_app(OpenAIState(api_keys=["sk-a"], models=["m-1"])).test_client()
    headers = {"Authorization": "Bearer sk-a"}

    assert client.get("/v1/models", headers=headers).json["data"][0]["id"] == "m-1"
    body = {"model": "m-1", "messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/v1/chat/completions", json=body, headers=headers).status_code == 200


def test_the_command_line_serves_the_fake():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fakes.openai_api", "--port", str(port), "--api-key", "sk-cli"],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{url}/_test/requests")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the fake did not start"
                time.sleep(0.05)
        with OpenAI(base_url=f"{url}/v1", api_key="sk-cli", max_retries=0) as sdk:
            chunks = list(sdk.chat.completions.create(model=MODEL, messages=ask(), stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    finally:
        server.terminate()
        server.wait(timeout=5)


# Contract: the fake's objects have exactly the keys of the real API's.
#
# The literals below are written from OpenAI's API reference (platform.openai.com/docs/api-reference/
# chat): the example chat completion object, and the streamed chunks of a request with
# ``stream_options: {"include_usage": true}`` (every chunk then carries ``usage``: null but the last,
# whose ``choices`` is empty) and the default ``include_obfuscation`` (an ``obfuscation`` field on
# every chunk). They are the real API's, not the fake's: if the fake drifts, these tests fail.

REAL_COMPLETION = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "The image shows a wooden boardwalk path running through a lush green field.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1117,
        "completion_tokens": 46,
        "total_tokens": 1163,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}

_REAL_CHUNK_HEAD = {
    "id": "chatcmpl-123",
    "object": "chat.completion.chunk",
    "created": 1694268190,
    "model": "gpt-4o-mini",
    "service_tier": "default",
    "system_fingerprint": "fp_44709d6fcb",
}
REAL_CHUNKS = {
    "role": _REAL_CHUNK_HEAD | {
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        "usage": None,
        "obfuscation": "Wq3kX",
    },
    "content": _REAL_CHUNK_HEAD | {
        "choices": [{"index": 0, "delta": {"content": "Hello"}, "logprobs": None, "finish_reason": None}],
        "usage": None,
        "obfuscation": "vD1",
    },
    "finish": _REAL_CHUNK_HEAD | {
        "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        "usage": None,
        "obfuscation": "x8",
    },
    "usage": _REAL_CHUNK_HEAD | {
        "choices": [],
        "usage": REAL_COMPLETION["usage"]
        | {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
        "obfuscation": "bZ0Pq",
    },
}


def key_tree(value):
    """The keys of ``value``, recursively; lists by their items."""
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [key_tree(item) for item in value]
    return None


def test_contract_a_completion_has_exactly_the_real_keys(client):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=ask())
    fake_completion = json.loads(raw.http_response.text)

    assert key_tree(fake_completion) == key_tree(REAL_COMPLETION)
    ChatCompletion.model_validate(REAL_COMPLETION)


def test_contract_stream_chunks_have_exactly_the_real_keys(client):
    role, *content, finish, usage = raw_stream(
        client, model=MODEL, messages=ask(), stream_options={"include_usage": True}
    )

    assert key_tree(role) == key_tree(REAL_CHUNKS["role"])
    for chunk in content:
        assert key_tree(chunk) == key_tree(REAL_CHUNKS["content"])
    assert key_tree(finish) == key_tree(REAL_CHUNKS["finish"])
    assert key_tree(usage) == key_tree(REAL_CHUNKS["usage"])
    for real in REAL_CHUNKS.values():
        ChatCompletionChunk.model_validate(real)


def test_contract_an_error_has_exactly_the_real_keys(client):
    real = {
        "error": {
            "message": "The model `gpt-5x` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": None,
            "code": "model_not_found",
        }
    }
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-5x", messages=ask())

    assert raised.value.response.json() == real
