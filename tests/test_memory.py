"""channels/memory.py: the start-up's objects frozen out of the garbage collector's full passes."""
from __future__ import annotations

import asyncio
import gc

from channels import memory


def test_settle_freezes_what_is_alive():
    gc.unfreeze()
    kept = [object() for _ in range(1000)]  # noqa: F841 - alive while settle runs
    assert gc.get_freeze_count() == 0
    assert memory.settle() >= 1000
    assert gc.get_freeze_count() >= 1000
    gc.unfreeze()


def test_while_a_model_loads_on_the_loop_it_waits_until_the_loop_is_free():
    gc.unfreeze()

    async def loading() -> None:
        memory.settle_when_loaded()
        assert gc.get_freeze_count() == 0  # Rasa is still loading the model in this step
        await asyncio.sleep(0)
        assert gc.get_freeze_count() > 0

    asyncio.run(loading())
    gc.unfreeze()


def test_without_a_running_loop_it_settles_at_once():
    gc.unfreeze()
    memory.settle_when_loaded()
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
