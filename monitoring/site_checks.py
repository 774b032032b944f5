"""Probing tenant sites over HTTP (``httpx``, asyncio) and the verdict of one check.

A check requests a tenant's home page at its platform address and at each verified domain of
its own, following at most ``MAX_REDIRECTS`` redirects by hand (a loop is named as one).
Healthy: every address answered 200 with an HTML page within ``slow_ms``. Warning: it
answered, but slowly, or one of its own domains failed while the subdomain answered.
Critical: the subdomain failed. Nothing here touches the database or Flask.

``connect`` ("host:port") sends every request to that address instead of resolving the name,
keeping the Host header (and the TLS server name): for tests, benchmarks and a checker that
sits beside the edge.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from db.models.monitoring import SiteStatus

MAX_REDIRECTS = 5
USER_AGENT = "Contyzr-SiteCheck/1.0"
REASON_LENGTH = 200


@dataclass(frozen=True)
class ProbeSettings:
    timeout: float = 10.0  # seconds per request
    slow_ms: int = 3000
    concurrency: int = 50
    connect: str | None = None  # "host:port": connect there, keep the Host header
    deadline: float = 60.0  # seconds for a whole batch, whatever happens

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ProbeSettings:
        timeout = float(config.get("SITE_CHECK_TIMEOUT_SECONDS") or 10)
        concurrency = max(1, int(config.get("SITE_CHECK_CONCURRENCY") or 50))
        return cls(timeout=timeout, slow_ms=int(config.get("SITE_CHECK_SLOW_MS") or 3000),
                   concurrency=concurrency, connect=config.get("SITE_CHECK_CONNECT") or None,
                   deadline=float(config.get("SITE_CHECK_BATCH_SECONDS") or 60))


@dataclass(frozen=True)
class Target:
    """One tenant to check: its platform address and its verified domains' addresses."""

    tenant_id: int
    site_url: str
    domain_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Probe:
    """One address's answer: ``ok`` an HTML page with 200, ``ms`` the time to it."""

    url: str
    ok: bool
    ms: int | None
    reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    tenant_id: int
    status: SiteStatus
    response_ms: int | None
    reason: str | None


@dataclass
class Round:
    """A batch's verdicts, and the tenants whose check did not finish by its deadline."""

    verdicts: list[Verdict]
    unfinished: list[int]


def _short(text: str) -> str:
    return text if len(text) <= REASON_LENGTH else text[:REASON_LENGTH - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:g}"


def _request_args(url: str, connect: str | None) -> tuple[str, dict, dict]:
    """The URL to request, its headers and extensions: with ``connect``, the connect address
    in the URL and the real name in the Host header and the TLS server name."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html"}
    if not connect:
        return url, headers, {}
    parts = urlsplit(url)
    headers["Host"] = parts.netloc
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    rewritten = parts._replace(netloc=connect).geturl()
    return rewritten, headers, extensions


def _failure(error: Exception, settings: ProbeSettings) -> str:
    if isinstance(error, httpx.TimeoutException | TimeoutError):
        return f"timed out after {_seconds(settings.timeout)} s"
    if isinstance(error, httpx.ConnectError):
        text = str(error).lower()
        if "refused" in text:
            return "connection refused"
        if "name" in text or "resolution" in text or "not known" in text:
            return "name not found"
        if "ssl" in text or "certificate" in text:
            return "TLS error"
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "not an HTTP answer"
    if isinstance(error, httpx.HTTPError):
        return _short(f"request failed ({type(error).__name__})")
    return _short(f"check failed ({type(error).__name__})")


def _is_html(response: httpx.Response, body: bytes) -> bool:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("text/html", "application/xhtml+xml"):
        return False
    head = body[:4096].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


async def probe(client: httpx.AsyncClient, url: str, settings: ProbeSettings) -> Probe:
    """Request ``url``, following redirects by hand; never raises."""
    started = time.monotonic()
    seen = {url}
    current = url
    try:
        async with asyncio.timeout(settings.timeout):
            for _ in range(MAX_REDIRECTS + 1):
                target, headers, extensions = _request_args(current, settings.connect)
                response = await client.get(target, headers=headers, extensions=extensions)
                body = response.content
                ms = int((time.monotonic() - started) * 1000)
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    following = urljoin(current, location)
                    if not location or urlsplit(following).scheme not in ("http", "https"):
                        return Probe(url, False, ms, f"HTTP {response.status_code} without "
                                                     "a usable Location")
                    if following in seen:
                        return Probe(url, False, ms, "redirect loop")
                    seen.add(following)
                    current = following
                    continue
                if response.status_code != 200:
                    return Probe(url, False, ms, f"HTTP {response.status_code}")
                if not _is_html(response, body):
                    return Probe(url, False, ms, "not an HTML page")
                return Probe(url, True, ms)
            return Probe(url, False, int((time.monotonic() - started) * 1000),
                         f"more than {MAX_REDIRECTS} redirects")
    except Exception as error:  # noqa: BLE001 (every failure is a verdict)
        return Probe(url, False, None, _failure(error, settings))


def verdict(target: Target, site: Probe, domains: Sequence[Probe], slow_ms: int) -> Verdict:
    """The tenant's status from its addresses' probes."""
    if not site.ok:
        return Verdict(target.tenant_id, SiteStatus.CRITICAL, site.ms, _short(site.reason or ""))
    failing = [p for p in domains if not p.ok]
    if failing:
        first = failing[0]
        host = urlsplit(first.url).hostname
        return Verdict(target.tenant_id, SiteStatus.WARNING, site.ms,
                       _short(f"{host}: {first.reason}"))
    slowest = max([site, *domains], key=lambda p: p.ms or 0)
    if (slowest.ms or 0) > slow_ms:
        return Verdict(target.tenant_id, SiteStatus.WARNING, site.ms,
                       _short(f"slow: {slowest.ms} ms"))
    return Verdict(target.tenant_id, SiteStatus.HEALTHY, site.ms, None)


async def _check_one(client, limit: asyncio.Semaphore, target: Target,
                     settings: ProbeSettings) -> Verdict:
    async with limit:
        site = await probe(client, target.site_url, settings)
    domains = []
    for url in target.domain_urls:
        async with limit:
            domains.append(await probe(client, url, settings))
    return verdict(target, site, domains, settings.slow_ms)


async def check_targets(targets: Sequence[Target], settings: ProbeSettings) -> Round:
    """Check every target, ``settings.concurrency`` requests at a time. Targets not done by
    ``settings.deadline`` are given up (``Round.unfinished``), so a batch always ends."""
    # A fresh connection per request: a check measures what a visitor meets, and never
    # fails on a kept-alive connection the server has just closed.
    limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=0)
    limit = asyncio.Semaphore(settings.concurrency)
    done = Round([], [])
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(settings.timeout),
                                 follow_redirects=False, trust_env=False) as client:
        tasks = [asyncio.create_task(_check_one(client, limit, target, settings))
                 for target in targets]
        if tasks:
            await asyncio.wait(tasks, timeout=settings.deadline)
        for target, task in zip(targets, tasks, strict=True):
            if task.done() and not task.cancelled() and task.exception() is None:
                done.verdicts.append(task.result())
            else:
                task.cancel()
                done.unfinished.append(target.tenant_id)
        await asyncio.gather(*tasks, return_exceptions=True)
    return done


def check(targets: Sequence[Target], settings: ProbeSettings) -> Round:
    """``check_targets`` from synchronous code (a job, a command)."""
    return asyncio.run(check_targets(targets, settings))
