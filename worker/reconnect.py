"""Workers and the scheduler ride out a Redis outage, and leave no process behind.

rq's worker quits when Redis goes away in the middle of its loop (only its wait for the next
job retries), and so does the cron scheduler. ``keep_running`` starts the loop again once
Redis answers, waiting 0.5 s, then twice as long each time up to 30 s, until the loop ends
on a stop request (SIGTERM, Ctrl-C). ``die_with_parent`` makes a process the worker forks
(rq's scheduler of delayed retries) end with the worker, even when the worker is SIGKILLed.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.exceptions import StopRequested

FIRST_WAIT = 0.5  # seconds
LONGEST_WAIT = 30.0
REDIS_GONE = (RedisConnectionError, RedisTimeoutError)
PR_SET_PDEATHSIG = 1  # linux/prctl.h

log = logging.getLogger("contyzr.worker")


def wait_for_redis(connection: Redis, sleep: Callable[[float], None] = time.sleep) -> None:
    """Return once Redis answers a PING, trying with a doubling wait."""
    wait = FIRST_WAIT
    while True:
        try:
            connection.ping()
            return
        except REDIS_GONE as error:
            log.warning("Redis does not answer (%s); trying again in %.1f s", error, wait)
            sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)


def keep_running(loop: Callable[[], bool], connection: Redis, what: str) -> None:
    """Run ``loop`` (True: it stopped on request) again and again until it stops on request."""
    while True:
        try:
            if loop():
                return
            log.warning("%s stopped on an error; starting it again", what)
        except REDIS_GONE as error:
            log.warning("%s lost Redis (%s); starting it again once Redis answers", what, error)
        except (StopRequested, KeyboardInterrupt):
            return
        try:
            time.sleep(FIRST_WAIT)  # never a busy loop, even when Redis answers at once
            wait_for_redis(connection)
        except (StopRequested, KeyboardInterrupt):
            return


_forker = [0]


def _remember_forker() -> None:
    _forker[0] = os.getpid()


def _end_with_forker() -> None:
    """In a forked child: SIGTERM when the process that forked it dies (Linux's
    PR_SET_PDEATHSIG), and exit at once if it died before this line."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the worker's own stop still ends it
        return
    if os.getppid() != _forker[0]:
        os._exit(0)


def die_with_parent() -> None:
    """Every process this one forks from now on ends when this one ends."""
    os.register_at_fork(before=_remember_forker, after_in_child=_end_with_forker)
