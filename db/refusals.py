"""``Refused``: a rule said no, in words for the person asking.

Every layer raises it (tenant rules, billing, the views) and the web app has one handler for
it that rolls the session back and shows the message: beside the form field it names, or as a
flash when it names none, with its HTTP status.
"""

from __future__ import annotations


class Refused(Exception):
    """A request the rules refuse: ``message`` for people, ``field`` the form field at fault
    (None when the whole request is), ``status`` the HTTP status of the answer."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status
