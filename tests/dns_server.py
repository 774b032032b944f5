"""A small authoritative DNS server for tests, built on dnslib: it serves the records a test
publishes (A, AAAA, CNAME, TXT; NXDOMAIN for names it does not know) on 127.0.0.1, UDP and
TCP on one free port, and can be told to fail (``SERVFAIL``) or to fall silent.

    dns_server.publish("_contyzr.bakery.nl", "TXT", "contyzr-verification=...")
    dns_server.publish("www.bakery.nl", "CNAME", "acme.example.test")
    app.config["DNS_RESOLVERS"] = [dns_server.address]
"""

from __future__ import annotations

import socket
import threading

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.server import DNSHandler, DNSLogger, DNSServer

TTL = 60
MAX_STRING = 255  # bytes in one TXT string
UDP_LENGTH = 512  # a longer answer is truncated over UDP (the client asks again over TCP)
KINDS = {"A": A, "AAAA": AAAA, "CNAME": CNAME, "TXT": TXT}


def _key(name: str) -> str:
    return name.lower().rstrip(".")


def _txt(value: str | bytes) -> TXT:
    data = value.encode() if isinstance(value, str) else value
    return TXT([data[i:i + MAX_STRING] for i in range(0, len(data), MAX_STRING)] or [b""])


class Zones:
    """The records served, and how the server behaves: "answer", "servfail" or "silent"."""

    def __init__(self):
        self.records: dict[tuple[str, str], list] = {}
        self.mode = "answer"
        self.lock = threading.Lock()

    def _names(self) -> set[str]:
        return {name for name, _ in self.records}

    def exists(self, name: str) -> bool:
        return any(known == name or known.endswith("." + name) for known in self._names())

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.aa = 1
        if self.mode == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        name, kind = _key(str(request.q.qname)), QTYPE[request.q.qtype]
        with self.lock:
            found = self.records.get((name, kind))
            if found is None and kind != "CNAME":
                found = self.records.get((name, "CNAME"))
                if found is not None:
                    kind = "CNAME"
            exists = self.exists(name)
        for data in found or []:
            reply.add_answer(RR(name + ".", getattr(QTYPE, kind), rdata=data, ttl=TTL))
        if not found and not exists:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class _Handler(DNSHandler):
    def handle(self):
        if self.server.resolver.mode != "silent":
            super().handle()

    def get_reply(self, data):
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed = reply.pack()
        if self.protocol == "udp" and len(packed) > UDP_LENGTH:
            # Truncated, keeping the question (dnslib's own truncate() drops it, and clients
            # refuse an answer that does not repeat the question).
            truncated = request.reply()
            truncated.header.aa, truncated.header.tc = 1, 1
            packed = truncated.pack()
        return packed


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


class TestDnsServer:
    __test__ = False  # not a test class for pytest

    def __init__(self):
        self.zones = Zones()
        self.port = _free_port()
        logger = DNSLogger("-request,-reply,-truncated,-error", prefix=False)
        self.servers = [DNSServer(self.zones, address="127.0.0.1", port=self.port, tcp=tcp,
                                  handler=_Handler, logger=logger) for tcp in (False, True)]

    @property
    def address(self) -> str:
        """As DNS_RESOLVERS takes it: "host:port"."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> TestDnsServer:
        for server in self.servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
            server.server.server_close()

    def publish(self, name: str, kind: str, *values: str | bytes) -> None:
        """Add records of ``kind`` at ``name`` (a TXT value longer than 255 bytes is split into
        strings, as DNS hosts do)."""
        rdata = [_txt(value) if kind == "TXT" else KINDS[kind](value) for value in values]
        with self.zones.lock:
            self.zones.records.setdefault((_key(name), kind), []).extend(rdata)

    def remove(self, name: str, kind: str | None = None) -> None:
        with self.zones.lock:
            for key in [key for key in self.zones.records
                        if key[0] == _key(name) and kind in (None, key[1])]:
                del self.zones.records[key]

    def reset(self) -> None:
        with self.zones.lock:
            self.zones.records.clear()
        self.zones.mode = "answer"
