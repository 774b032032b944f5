"""Workers and the scheduler ride out a Redis outage, and leave nothing running behind them.

Real processes: ``contyzr worker`` and ``contyzr cron`` against a Redis of the test's own,
which is stopped for a few seconds and started again on the same port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker

from devstack.redis import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[2]


def env_of(config: dict, redis_url: str) -> dict:
    env = {**os.environ, "REDIS_URL": redis_url}
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "PLATFORM_DOMAIN", "PUBLIC_URL",
                 "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "RESEND_API_KEY", "RESEND_API_URL"):
        env[name] = str(config[name])
    env["STRIPE_WEBHOOK_SECRET"] = ",".join(config["STRIPE_WEBHOOK_SECRET"])
    env["INSTANCE_PATH"] = config["INSTANCE_PATH"]
    return env


def wait_until(check, what: str, timeout: float = 45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.fixture
def own_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", port=free_port(), persist=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start(base_config, own_redis, tmp_path):
    started: list[subprocess.Popen] = []

    def launch(*args: str) -> subprocess.Popen:
        with open(tmp_path / f"{len(started)}.log", "w") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "web", *args], cwd=ROOT,
                env=env_of(base_config, own_redis.url), stdout=log, stderr=log)
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def redis_of(own_redis):
    client = Redis.from_url(own_redis.url)
    yield client
    client.close()


def test_a_worker_and_the_scheduler_carry_on_after_redis_was_away(own_redis, redis_of, start):
    redis = redis_of
    worker = start("worker", "--queue", "maintenance")
    cron = start("cron")
    wait_until(lambda: Worker.all(connection=redis), "the worker to register")
    wait_until(lambda: redis.zcard("rq:cron_schedulers"), "the scheduler to register")

    port = own_redis.port
    own_redis.stop()
    time.sleep(4)  # the worker and the scheduler each notice, and wait
    own_redis.port = port
    own_redis.start()

    # Both came back on their own: registered again in the new (empty) Redis, and the worker
    # runs a job enqueued after the outage.
    wait_until(lambda: Worker.all(connection=redis), "the worker to register again")
    wait_until(lambda: redis.zcard("rq:cron_schedulers"), "the scheduler to register again")
    job = Queue("maintenance", connection=redis).enqueue("worker.jobs.health.ping", "after")
    wait_until(lambda: job.get_status(refresh=True) == "finished", "the job to run")
    assert job.return_value() == {"token": "after", "database": True}
    assert worker.poll() is None and cron.poll() is None

    # A stop request still ends them cleanly.
    for process in (worker, cron):
        process.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0
    assert cron.wait(20) == 0


def test_nothing_a_worker_forked_outlives_it(redis_of, start):
    redis = redis_of
    worker = start("worker", "--queue", "maintenance")
    wait_until(lambda: Worker.all(connection=redis), "the worker to register")
    # rq forks the scheduler of delayed retries (with_scheduler=True).
    [child] = wait_until(lambda: children_of(worker.pid), "the worker's scheduler process")

    worker.kill()  # SIGKILL: no handler of the worker's runs
    worker.wait()

    wait_until(lambda: not running(child), "the forked scheduler to end with its worker", 15)
