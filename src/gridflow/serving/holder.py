"""The models being served and their hot swap: a poller re-reads each `champion` alias, loads a
moved one off the request path, then swaps one reference, so a request that took the
(version, model) pair once never sees two versions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("gridflow.serving")


@dataclass(frozen=True)
class Served:
    """One loaded version of a model: what a request scores with, taken as a whole."""

    name: str
    version: str
    model: Any
    input_types: dict[str, str] = field(default_factory=dict)


Resolver = Callable[[str], "str | None"]
Loader = Callable[[str, str], Served]


class ModelHolder:
    """The served version of each model, kept current with its `champion` alias by `refresh`.

    `resolve` may follow another alias (the `challenger` holder of shadow and A/B traffic); with
    `drop_missing`, a model whose alias is gone is unloaded instead of kept serving.
    """

    def __init__(self, names: list[str], resolve: Resolver, load: Loader, *, drop_missing: bool = False) -> None:
        self.names = list(names)
        self._resolve = resolve
        self._load = load
        self._drop_missing = drop_missing
        self._served: dict[str, Served] = {}
        self._champions: dict[str, str] = {}  # name -> version its alias pointed at on the last poll
        self._polled = False
        self._refresh_lock = threading.Lock()

    def get(self, name: str) -> Served | None:
        """The version serving `name` right now (one atomic read), or None when none is loaded."""
        return self._served.get(name)

    def served(self) -> dict[str, Served]:
        """A snapshot of every loaded model."""
        return dict(self._served)

    def ready(self) -> bool:
        """True once every model whose champion exists has a version loaded (after the first poll)."""
        return self._polled and all(name in self._served for name in self._champions)

    def refresh(self) -> list[str]:
        """Re-read every alias and load+swap those that moved; returns the `name@version` swapped in.
        A failed read or load keeps the version already serving (and is logged)."""
        swapped = []
        with self._refresh_lock:  # a promotion hook and the poller never load the same version twice
            for name in self.names:
                try:
                    version = self._resolve(name)
                except Exception as exc:  # the registry is unreachable: keep serving what is loaded
                    log.warning("cannot read the champion of %s: %s", name, exc)
                    continue
                if version is None:
                    self._champions.pop(name, None)
                    if self._drop_missing and self._served.pop(name, None) is not None:
                        log.info("%s: alias gone, unloaded", name)
                    continue
                self._champions[name] = version
                current = self._served.get(name)
                if current is not None and current.version == version:
                    continue
                try:
                    loaded = self._load(name, version)
                except Exception as exc:
                    log.error("cannot load %s version %s (still serving %s): %s", name, version,
                              None if current is None else current.version, exc)
                    continue
                self._served[name] = loaded  # the swap: one reference assignment, atomic for readers
                swapped.append(f"{name}@{version}")
                log.info("serving %s version %s (was %s)", name, version, None if current is None else current.version)
            self._polled = True
        return swapped


class Poller:
    """A daemon thread calling `holder.refresh()` every `interval` seconds until `stop()`."""

    def __init__(self, holder: ModelHolder, interval: float, name: str = "gridflow-champion-poller") -> None:
        self.holder = holder
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start polling (the first refresh runs at once, in the background)."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.holder.refresh()
            except Exception:  # never let one bad poll end hot swapping
                log.exception("champion poll failed")
            self._stop.wait(self.interval)
