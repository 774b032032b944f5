"""Marking user-visible English in the layers below ``web/`` for translation.

The rules (``tenants/`` and below) know nothing of Flask or of the visitor's language. They
mark the English texts they hand upwards with ``N_`` (a no-op the message extractor knows),
and the web layer translates the text where it is shown (``web.i18n.translated``).

A text with values is a ``Message``: still the English ``str`` everywhere, but it keeps its
template and values apart, so the web layer can translate the template and fill it in again.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802  (the conventional name the extractor looks for)
    """Mark ``message`` for extraction; returns it unchanged."""
    return message


class Message(str):
    """``Message(N_("Wait %(minutes)s minutes."), minutes=5)``: the English text, with
    ``template`` and ``values`` kept for translation."""

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        text = super().__new__(cls, template % values if values else template)
        text.template, text.values = template, values
        return text
