"""``python -m fakes.resend_api --port 4010 [--rate-limit 2]``: serve the fake Resend API."""

import argparse

from .app import create_app
from .state import ResendState


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.resend_api", description="Serve the fake Resend API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument(
        "--rate-limit",
        type=int,
        metavar="PER_SECOND",
        help="requests per second allowed per API key (default: unlimited)",
    )
    args = parser.parse_args()
    app = create_app(ResendState(rate_limit=args.rate_limit))
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
