"""The launcher in the terminal's foreground on its own, so that Ctrl-C reaches it alone.

A terminal sends Ctrl-C's SIGINT to its whole foreground process group: under ``make run``
that is make too, which then waits for the launcher, reports "Interrupt" and exits with an
error however cleanly everything stopped. In a process group of its own, made the terminal's
foreground, the launcher alone gets the signal, stops everything and exits 0, and make with it.
The terminal's foreground goes back to the group it came from when the launcher is done.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress


class Foreground:
    def __init__(self):
        self.interactive = False
        self.terminal: int | None = None
        self.previous: int | None = None

    def __enter__(self) -> Foreground:
        with suppress(OSError, ValueError):
            fd = sys.stdin.fileno()
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():  # started in the foreground
                self.terminal, self.previous = fd, os.getpgrp()
                os.setpgid(0, 0)
                self._give_terminal_to(os.getpgrp())
                self.interactive = True
        return self

    def __exit__(self, *_exc) -> None:
        if self.terminal is not None and self.previous is not None:
            with suppress(OSError):
                self._give_terminal_to(self.previous)

    def _give_terminal_to(self, group: int) -> None:
        # A background group that sets the foreground gets SIGTTOU unless it ignores it.
        before = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(self.terminal, group)
        finally:
            signal.signal(signal.SIGTTOU, before)
