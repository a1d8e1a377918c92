"""Preparation of a :class:`~polyslot.schedule.Schedule` cached by content.

Preparing the kernel arrays (effective service PMFs with the no-shows, reversed supports,
offset PMFs and moments) costs several times the exact evaluation itself. A planner's tool or an
optimiser evaluates the same patients (the same service and punctuality distributions, the
same no-show probabilities) again and again with other appointment times, so the
:class:`~polyslot.evaluation.prepare.Prepared` arrays are kept in a small LRU keyed by the
patients' distributions.

The key of a patient is ``(service, no_show, offsets, pmf)``. Each distribution tuple is mapped
to a small integer once: first by object identity (a dict lookup; the memo keeps a reference to
the object, so its ``id`` cannot be reused while the entry lives), else by content (tuples are
hashed and compared), so equal distributions built as new objects still hit. Anything that is
not a hashable tuple (a list, an array) is simply not cached. The prepared arrays are read-only
to every caller (the kernel never writes them), so sharing them is safe.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from polyslot.evaluation.prepare import Prepared

__all__ = ["cached_prepare", "clear_cache", "schedule_key"]

_LOCK = threading.Lock()
_BY_ID: dict[int, tuple[Any, int]] = {}
_BY_CONTENT: dict[Any, int] = {}
_PREPARED: OrderedDict[tuple, Prepared] = OrderedDict()
_UIDS = itertools.count()
_ATTR = "_polyslot_prepared"
#: Distinct distributions remembered before the memo starts afresh.
MAX_DISTRIBUTIONS = 4096
#: Prepared patient sets kept (least recently used dropped first).
MAX_PREPARED = 512


def clear_cache() -> None:
    """Forget every memoised distribution and prepared patient set."""
    with _LOCK:
        _BY_ID.clear()
        _BY_CONTENT.clear()
        _PREPARED.clear()


def _uid(obj: Any) -> int:
    """Small integer standing for the content of ``obj`` (called with the lock held)."""
    hit = _BY_ID.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    if type(obj) is not tuple:
        raise TypeError("only tuples are memoised")
    uid = _BY_CONTENT.get(obj)
    if uid is None:
        if len(_BY_CONTENT) >= MAX_DISTRIBUTIONS:
            _BY_ID.clear()
            _BY_CONTENT.clear()
        uid = next(_UIDS)
        _BY_CONTENT[obj] = uid
    if len(_BY_ID) >= 2 * MAX_DISTRIBUTIONS:  # many equal copies: forget the identities
        _BY_ID.clear()
    _BY_ID[id(obj)] = (obj, uid)
    return uid


def schedule_key(schedule) -> tuple | None:
    """Hashable key of a schedule's patients (appointments excluded), or None if uncachable."""
    key: list = []
    try:
        with _LOCK:
            for p in schedule.patients:
                pu = p.punctuality
                key.append(_uid(p.service))
                key.append(p.no_show)
                if pu is None:
                    key.append(-1)
                    key.append(-1)
                else:
                    key.append(_uid(pu.offsets))
                    key.append(_uid(pu.pmf))
    except TypeError:
        return None
    return tuple(key)


def cached_prepare(schedule, build: Callable[[Any], Prepared]) -> Prepared:
    """``build(schedule)``, or the arrays prepared before for the same patients.

    The result is also remembered on the (frozen) schedule object itself, so evaluating the same
    :class:`~polyslot.schedule.Schedule` again skips even the key.
    """
    mine = schedule.__dict__.get(_ATTR)
    if mine is not None:
        return mine
    key = schedule_key(schedule)
    if key is None:
        return build(schedule)
    with _LOCK:
        prep = _PREPARED.get(key)
        if prep is not None:
            _PREPARED.move_to_end(key)
    if prep is None:
        prep = build(schedule)  # validates; raises before anything is cached
        with _LOCK:
            _PREPARED[key] = prep
            while len(_PREPARED) > MAX_PREPARED:
                _PREPARED.popitem(last=False)
    object.__setattr__(schedule, _ATTR, prep)
    return prep
