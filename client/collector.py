"""`collector_paused`: the cyclic garbage collector held off while a sync page is worked on.

Parsing and storing a page of 500 transactions allocates tens of thousands of containers
(the reply's dicts, the local objects, the rows) that all live until the page is stored.
While they pile up, the collector's young generations keep filling, promote them, and every
page or two walk the whole heap: about a third of the client's CPU in a first sync of 1,924
transactions. None of that needs the collector: reference counting frees a page's objects
when the page is done, and the little cyclic garbage it leaves (the page's session) is
collected once collection resumes, right after. Held only around CPU work, never across a
network call, so other threads of the process are held off for tens of milliseconds at most.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    """Counts the threads inside `collector_paused`: the first one in turns collection off
    (if it was on), the last one out turns it back on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.resume = False

    def enter(self) -> None:
        """One more holder."""
        with self.lock:
            if self.holders == 0:
                self.resume = gc.isenabled()
                gc.disable()
            self.holders += 1

    def leave(self) -> None:
        """One holder fewer; the last restores what the first found."""
        with self.lock:
            self.holders -= 1
            if self.holders == 0 and self.resume:
                gc.enable()


_PAUSE = _Pause()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (see the module's docstring for why)."""
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.leave()
