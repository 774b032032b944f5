"""A local fake of the Stripe HTTP API ("local Stripe") for development and tests.

The app talks to it through the real ``stripe`` library with only the base address
changed. See :mod:`.server` to run it in a thread and ``python -m fakes.stripe_api``
for the command line.
"""

from .api import create_app
from .server import FakeStripeServer, start_in_thread

__all__ = ["FakeStripeServer", "create_app", "start_in_thread"]
