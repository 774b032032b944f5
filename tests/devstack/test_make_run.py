"""``make run`` speaks to a person: its address comes last, Enter shows it again, Ctrl-C
stops everything cleanly and make ends with 0; a STRIPE_WEBHOOK_SECRET set by hand is the one
the local Stripe signs with.

The real command in a pseudo-terminal, as a person starts it, with an instance directory of
its own (INSTANCE_PATH) and a free port.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import termios
import time
from pathlib import Path

import httpx
import pytest

from devstack.redis import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


class Terminal:
    """A process on the slave side of a pseudo-terminal, as its session's controlling tty."""

    def __init__(self, args: list[str], env: dict):
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, preexec_fn=_take_terminal)  # noqa: PLW1509
        os.close(slave)
        self.output = b""

    def read_until(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            self._read(0.2)
        raise AssertionError(f"no {pattern!r} in:\n{self.text()[-3000:]}")

    def _read(self, wait: float) -> None:
        import select

        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the slave side closed
                time.sleep(wait)

    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None when still running after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        self._read(0.1)
        return self.process.poll()

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def processes_below(pid: int) -> str:
    """``ps`` of the processes in ``pid``'s session (what is left when a stop hangs)."""
    listing = subprocess.run(["ps", "-s", str(pid), "-o", "pid,ppid,stat,wchan:20,args"],  # noqa: S603, S607
                             capture_output=True, text=True, check=False)
    return listing.stdout


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def signed(payload: bytes, secret: str) -> str:
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload,
                         hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def test_make_run_prints_its_address_last_and_stops_on_ctrl_c_with_0(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_URL", "REDIS_URL", "STRIPE_", "MAKE", "MFLAGS"))}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port),
               STRIPE_WEBHOOK_SECRET="whsec_my_own_secret", TERM="dumb")
    terminal = Terminal(["make", "--no-print-directory", "run"], env)
    try:
        terminal.read_until(r"storefront at http://localhost:\d+/pricing.*\n.*tenant sites at",
                            timeout=180)
        shown = terminal.text()
        # The workers' and the scheduler's lines went to their files, not over the address.
        assert "Worker" not in shown and "CronScheduler" not in shown
        assert (tmp_path / "instance" / "logs" / "worker-billing.log").exists()
        assert httpx.get(f"http://localhost:{port}/pricing").status_code == 200

        # The secret given by hand is the app's: an event of our own, signed with it, is taken.
        event = json.dumps({"id": "evt_by_hand_1", "object": "event", "type": "ping.by_hand",
                            "created": int(time.time()), "data": {"object": {"id": "x"}}}).encode()
        answer = httpx.post(f"http://localhost:{port}/webhooks/stripe", content=event,
                            headers={"Stripe-Signature": signed(event, "whsec_my_own_secret"),
                                     "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        local_stripe = re.search(r"local Stripe at (http://127\.0\.0\.1:\d+)", shown)[1]
        [endpoint] = [hook for hook in httpx.get(f"{local_stripe}/_test/webhooks").json()["endpoints"]
                      if hook["url"].endswith("/webhooks/stripe")]
        assert endpoint["secret"] == "whsec_my_own_secret"

        # /metrics adds up every process's counters: the billing worker processed the events.
        def processed() -> float:
            text = httpx.get(f"http://localhost:{port}/metrics").text
            found = re.search(r"^contyzr_stripe_event_processing_seconds_count (\S+)", text, re.M)
            return float(found[1]) if found else 0

        deadline = time.monotonic() + 60
        while not processed() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert processed() > 0

        before = terminal.text().count("storefront at")
        terminal.type(b"\n")  # Enter: the addresses again
        terminal.read_until("(?s)" + "storefront at.*" * (before + 1), timeout=10)

        terminal.type(b"\x03")  # Ctrl-C, through the terminal
        status = terminal.wait(240)  # the stop itself takes seconds; a busy machine
        out = terminal.text()
        assert status == 0, out[-3000:] + "\n" + processes_below(terminal.process.pid)
        assert "Traceback" not in out, out[-3000:]
        assert "make: ***" not in out
        assert out.rstrip().endswith("[run] stopped")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://localhost:{port}/livez", timeout=2)
    finally:
        terminal.close()
