"""``python -m fakes.stripe_api --port 12111 --webhook-url URL --webhook-secret whsec_dev``
(``--connect-webhook-url``/``--connect-webhook-secret`` for connected accounts' events)."""

import argparse
import logging

from werkzeug.serving import make_server

from .api import create_app
from .errors import StripeError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.stripe_api", description="A local fake of the Stripe API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--webhook-url", action="append", default=[], help="where to POST events (repeatable)"
    )
    parser.add_argument("--webhook-secret", help="signing secret of those endpoints (default: generated)")
    parser.add_argument(
        "--connect-webhook-url",
        action="append",
        default=[],
        help="where to POST connected accounts' events (a Connect endpoint; repeatable)",
    )
    parser.add_argument("--connect-webhook-secret", help="signing secret of the Connect endpoints")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        app = create_app(
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
            connect_webhook_url=args.connect_webhook_url,
            connect_webhook_secret=args.connect_webhook_secret,
        )
    except StripeError as error:
        parser.error(error.message)
    server = make_server(args.host, args.port, app, threaded=True)
    state = app.extensions["fake_stripe"]
    print(f"Local Stripe on http://{args.host}:{server.server_port}", flush=True)
    for endpoint in reversed(state.store.all("webhook_endpoint")):
        secret = state.webhooks.secret(endpoint["id"])
        kind = "connect webhooks" if state.webhooks.is_connect(endpoint["id"]) else "webhooks"
        print(f"  {kind} -> {endpoint['url']} (secret {secret})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.sender.stop()


if __name__ == "__main__":
    main()
