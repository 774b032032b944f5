"""Contyzr's mail layer: context functions (``mails``), templates, rendering and senders.

A mail is sent as ``sender.send(to=..., mail=render(name, language, **mails.<name>(...)),
idempotency_key=...)``, after ``MailRateLimiter.acquire()`` when sending through Resend.
"""

from .errors import MailError, PermanentMailError, TransientMailError
from .ratelimit import MailRateLimiter
from .render import RenderedMail, render
from .senders import MailSender, OutboxSender, ResendSender

__all__ = [
    "MailError",
    "MailRateLimiter",
    "MailSender",
    "OutboxSender",
    "PermanentMailError",
    "RenderedMail",
    "ResendSender",
    "TransientMailError",
    "render",
]
