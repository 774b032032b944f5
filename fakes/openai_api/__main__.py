"""``python -m fakes.openai_api --port 4030 [--api-key sk-test] [--chunk-delay-ms 10]``: serve the
fake OpenAI-compatible API (the SDK's ``base_url`` is ``http://127.0.0.1:4030/v1``)."""

import argparse

from .app import create_app
from .state import DEFAULT_API_KEY, DEFAULT_CHUNK_DELAY_MS, OpenAIState


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.openai_api", description="Serve the fake OpenAI-compatible API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4030)
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"an accepted API key; repeat for more (default: {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="ID",
        help="a model the fake serves; repeat for more (default: a few GPT models)",
    )
    parser.add_argument(
        "--chunk-delay-ms",
        type=int,
        default=DEFAULT_CHUNK_DELAY_MS,
        help=f"pause between stream events (default: {DEFAULT_CHUNK_DELAY_MS})",
    )
    args = parser.parse_args()
    state = OpenAIState(api_keys=args.api_keys, models=args.models, chunk_delay_ms=args.chunk_delay_ms)
    create_app(state).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
