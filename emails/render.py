"""Render a mail from ``templates/<mail_name>/{subject.txt,body.txt,body.html}``."""

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    reply_to: str | None = None  # where the recipient's reply goes (the sender's address)


_environment = Environment(
    loader=PackageLoader("emails", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(mail_name: str, **context: Any) -> RenderedMail:
    """Render the three parts of ``mail_name`` with ``context`` (from ``emails.mails``); a
    ``reply_to`` in the context is where replies go."""

    def part(file_name: str) -> str:
        return _environment.get_template(f"{mail_name}/{file_name}").render(context)

    return RenderedMail(
        subject=" ".join(part("subject.txt").split()),
        text=part("body.txt"),
        html=part("body.html"),
        reply_to=context.get("reply_to"),
    )
