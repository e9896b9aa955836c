"""An async producer consumed by a synchronous generator, such as a dlt resource.

dlt resources are consumed synchronously; running the HTTP side on an event loop in a worker thread
keeps it fully concurrent while the consumer flattens and writes rows.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, AsyncIterator, Callable, Iterator

_DONE = object()


def iterate_in_background(make_agen: Callable[[], AsyncIterator[Any]], buffer: int = 4) -> Iterator[Any]:
    """Run an async generator on an event loop in a worker thread and iterate it synchronously.

    dlt resources are consumed synchronously; this keeps the HTTP side fully concurrent while the
    consumer flattens and writes rows. An exception in the generator is re-raised here; closing this
    iterator cancels the worker.
    """
    out: "queue.Queue[Any]" = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    async def pump() -> None:
        agen = make_agen()
        try:
            async for item in agen:
                while not stop.is_set():
                    try:
                        out.put_nowait(item)
                        break
                    except queue.Full:  # the consumer is behind: wait without blocking the loop
                        await asyncio.sleep(0.005)
                if stop.is_set():
                    return
        finally:
            await agen.aclose()

    def worker() -> None:
        try:
            asyncio.run(pump())
        except BaseException as exc:  # handed to the consumer, who raises it
            out.put(exc)
            return
        out.put(_DONE)

    thread = threading.Thread(target=worker, name="runsteps-http", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
