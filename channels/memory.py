"""The objects a server makes while it starts, kept out of the garbage collector's full passes.

A Rasa process holds millions of objects once its model is loaded (TensorFlow, spaCy, scikit-learn, the
domain), the action server hundreds of thousands (the knowledge base, the content). Python's collector walks
every one of them on each full (generation 2) pass: 300 ms in which the event loop answers nobody, every 20
to 30 s under load (measured with gc.callbacks during the load benchmark). They live as long as the process,
so :func:`settle` collects once and then freezes them (``gc.freeze``, the documented way to leave long-lived
objects out of collections): the later passes walk only what the messages create.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time

logger = logging.getLogger(__name__)


def settle() -> int:
    """Collect, then move every object now alive to the collector's permanent generation; returns how many
    are frozen."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("%d objects of the start-up frozen out of garbage collection (%.0f ms)", frozen,
                1000 * (time.perf_counter() - started))
    return frozen


def settle_when_loaded() -> None:
    """:func:`settle` once what is starting has finished: called while Rasa loads its model (from the
    pipeline's module), the running event loop is busy loading until the model is ready, so the call is
    scheduled for when the loop is next free; with no loop running (the action server importing its
    actions), at once."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        settle()
        return
    loop.call_soon(settle)
