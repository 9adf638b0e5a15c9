"""Day caches shared by plans with identical inputs, so a repeated login skips the engine.

Every value an ``ItemPlan`` caches is a pure function of the plan's inputs and the day,
so two plans built from the same inputs (the same user at the same institution and seed,
which is what test suites create over and over) can share one cache. The few most
recently used caches are kept; the rest are dropped whole.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

KEPT = 8
_caches: OrderedDict[str, dict[Any, Any]] = OrderedDict()
_lock = threading.Lock()


def shared(identity: object) -> dict[Any, Any]:
    """The day cache of plans whose inputs have this ``repr``."""
    key = repr(identity)
    with _lock:
        found = _caches.get(key)
        if found is None:
            found = _caches[key] = {}
            while len(_caches) > KEPT:
                _caches.popitem(last=False)
        else:
            _caches.move_to_end(key)
        return found


def clear() -> None:
    """Forget every shared cache (benchmarks measure cold generation this way)."""
    with _lock:
        _caches.clear()
