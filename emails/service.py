"""The app's mail service: Resend when a key is configured, ``.eml`` files otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.models import MailLog
from emails import send
from emails.ratelimit import MailRateLimiter
from emails.render import RenderedMail
from emails.senders import MailSender, OutboxSender, ResendSender


@dataclass
class MailService:
    sender: MailSender
    limiter: MailRateLimiter | None

    def send_once(self, session: Session, *, key: str, kind: str, to: str, mail: RenderedMail,
                  tenant_id: int | None = None) -> MailLog:
        """Send unless already sent, through this sender and limiter (see ``emails.send``)."""
        return send.send_once(session, self.sender, self.limiter, key=key, kind=kind, to=to,
                              mail=mail, tenant_id=tenant_id)


def build_mail_service(config, redis) -> MailService:
    if config.get("RESEND_API_KEY"):
        sender = ResendSender(
            config["RESEND_API_KEY"], config["MAIL_FROM"], api_url=config.get("RESEND_API_URL")
        )
        return MailService(
            sender, MailRateLimiter(redis, per_second=config["MAIL_RATE_PER_SECOND"])
        )
    return MailService(OutboxSender(config["OUTBOX_DIR"], config["MAIL_FROM"]), None)
