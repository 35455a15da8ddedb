"""Long-lived objects are frozen only in processes that opt in (deskterm/memory.py)."""

from __future__ import annotations

import gc
import weakref

import pytest

from deskterm import memory


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    memory.enable(False)
    gc.unfreeze()  # what the test froze goes back to the collector


def test_keep_does_nothing_unless_enabled(thawed: None) -> None:
    memory.keep()
    assert gc.get_freeze_count() == 0


def test_keep_collects_then_freezes_what_is_alive(thawed: None) -> None:
    class Node:
        pass

    garbage = Node()
    garbage.me = garbage  # type: ignore[attr-defined]  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    del garbage
    alive = [{"kept": i} for i in range(1000)]
    memory.enable()
    memory.keep()
    frozen = gc.get_freeze_count()
    assert frozen >= len(alive)
    assert gone() is None  # collected, not frozen
    gc.collect()
    assert gc.get_freeze_count() == frozen  # a full collection leaves the frozen objects alone
