"""Swap on the event, not the next poll: a listener on the Prefect event stream refreshes the
holders as soon as a served model's aliases move (promotion, approval, rollback, and the gate's
rejection, which leaves a new `challenger`).

The poller stays as the fallback: an event lost while the socket reconnects, or a server without
events, only delays the swap to the next poll.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading

from gridflow import events
from gridflow.serving.holder import ModelHolder

log = logging.getLogger("gridflow.serving")

# The events after which a `champion` or `challenger` alias may point elsewhere.
ALIAS_MOVED = (events.MODEL_PROMOTED, events.PROMOTION_REJECTED, events.MODEL_ROLLED_BACK)


def moved_model(event_name: str, resource_id: str, served: list[str]) -> str | None:
    """The served model whose aliases an event says moved, or None for any other event."""
    if event_name not in ALIAS_MOVED or not resource_id.startswith(events.MODEL_RESOURCE_PREFIX):
        return None
    model = resource_id[len(events.MODEL_RESOURCE_PREFIX):]
    return model if model in served else None


class ChampionListener:
    """A daemon thread subscribed to alias-moving events that calls `refresh()` on every holder."""

    def __init__(self, *holders: ModelHolder, reconnect_seconds: float = 5.0, max_reconnect_seconds: float = 60.0):
        self.holders = holders
        self.names = sorted({name for holder in holders for name in holder.names})
        self.reconnect_seconds = reconnect_seconds
        self.max_reconnect_seconds = max_reconnect_seconds
        self.connected = threading.Event()  # set while subscribed (tests wait on it)
        self.swaps: list[str] = []  # `name@version` swapped in because of an event
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Subscribe in the background, with the caller's Prefect settings (they live in a context)."""
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="gridflow-champion-events",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the subscription and wait for the thread."""
        self._stopping.set()
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._task = self._loop.create_task(self._listen_forever())
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    async def _listen_forever(self) -> None:
        wait = self.reconnect_seconds
        while not self._stopping.is_set():
            try:
                await self._listen()
                wait = self.reconnect_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server restarted or is unreachable: the poller covers the gap
                log.warning("champion event stream unavailable (%s); retrying in %.0f s", exc, wait)
            finally:
                self.connected.clear()
            await asyncio.sleep(wait)
            wait = min(wait * 2, self.max_reconnect_seconds)  # an API without Prefect logs rarely

    async def _listen(self) -> None:
        from prefect.events.clients import get_events_subscriber
        from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

        names = self.names
        wanted = EventFilter(
            event=EventNameFilter(name=list(ALIAS_MOVED)),
            resource=EventResourceFilter(id=[events.model_resource(name) for name in names]),
        )
        async with get_events_subscriber(filter=wanted, reconnect_on_clean_close=True) as subscriber:
            self.connected.set()
            async for event in subscriber:
                model = moved_model(event.event, event.resource.id, names)
                if model is None:
                    continue
                log.info("%s for %s: re-reading the aliases", event.event, model)
                for holder in self.holders:
                    self.swaps.extend(await asyncio.to_thread(holder.refresh))
