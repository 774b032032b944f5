"""``python -m fakes.cloudflare_api --port 4020 --token T --zone ID=example.com``."""

import argparse

from .app import create_app
from .state import DEFAULT_TOKEN, DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME, CloudflareState


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fakes.cloudflare_api",
                                     description="Serve the fake Cloudflare DNS API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4020)
    parser.add_argument("--token", action="append", help=f"accepted token (default {DEFAULT_TOKEN})")
    parser.add_argument("--zone", action="append", metavar="ID=NAME",
                        help=f"a zone (default {DEFAULT_ZONE_ID}={DEFAULT_ZONE_NAME})")
    args = parser.parse_args()
    zones = dict(zone.split("=", 1) for zone in args.zone) if args.zone else None
    state = CloudflareState(tokens=set(args.token) if args.token else None, zones=zones)
    create_app(state).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
