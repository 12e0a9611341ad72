"""The hot swap: a moved alias is loaded off the request path and replaces the served version whole."""

from __future__ import annotations

import threading

from gridflow.serving.holder import ModelHolder, Poller, Served


class Registry:
    """A stand-in registry: alias positions and the loads asked of it."""

    def __init__(self, champions: dict[str, str | None]) -> None:
        self.champions = champions
        self.loads: list[tuple[str, str]] = []
        self.broken: set[str] = set()
        self.down = False
        self.loaded = threading.Event()

    def resolve(self, name: str) -> str | None:
        if self.down:
            raise ConnectionError("registry down")
        return self.champions.get(name)

    def load(self, name: str, version: str) -> Served:
        if version in self.broken:
            raise RuntimeError(f"artifact of {version} missing")
        self.loads.append((name, version))
        self.loaded.set()
        return Served(name, version, model=f"model-{name}-{version}")


def test_first_refresh_loads_every_champion_and_then_it_is_ready():
    registry = Registry({"a": "1", "b": None})
    holder = ModelHolder(["a", "b"], registry.resolve, registry.load)
    assert not holder.ready() and holder.get("a") is None
    assert holder.refresh() == ["a@1"]
    assert holder.ready()  # b has no champion: nothing to wait for
    assert holder.get("a").model == "model-a-1" and holder.get("b") is None
    assert holder.refresh() == [] and registry.loads == [("a", "1")]  # unchanged alias: no reload


def test_a_moved_alias_swaps_the_whole_pair():
    registry = Registry({"a": "1"})
    holder = ModelHolder(["a"], registry.resolve, registry.load)
    holder.refresh()
    taken = holder.get("a")
    registry.champions["a"] = "2"
    assert holder.refresh() == ["a@2"]
    assert (taken.version, taken.model) == ("1", "model-a-1")  # a request in flight keeps its pair
    assert (holder.get("a").version, holder.get("a").model) == ("2", "model-a-2")
    registry.champions["a"] = "1"  # a rollback is just another move
    assert holder.refresh() == ["a@1"]


def test_a_failed_load_keeps_serving_the_old_version():
    registry = Registry({"a": "1"})
    holder = ModelHolder(["a"], registry.resolve, registry.load)
    holder.refresh()
    registry.champions["a"], registry.broken = "2", {"2"}
    assert holder.refresh() == []
    assert holder.get("a").version == "1" and holder.ready()
    registry.broken = set()
    assert holder.refresh() == ["a@2"]


def test_a_champion_that_never_loaded_is_not_ready():
    registry = Registry({"a": "1"})
    registry.broken = {"1"}
    holder = ModelHolder(["a"], registry.resolve, registry.load)
    holder.refresh()
    assert not holder.ready()


def test_an_unreachable_registry_keeps_what_is_loaded():
    registry = Registry({"a": "1"})
    holder = ModelHolder(["a"], registry.resolve, registry.load)
    holder.refresh()
    registry.down = True
    assert holder.refresh() == [] and holder.get("a").version == "1"


def test_the_poller_follows_the_alias_until_stopped():
    registry = Registry({"a": "1"})
    holder = ModelHolder(["a"], registry.resolve, registry.load)
    poller = Poller(holder, interval=0.01)
    poller.start()
    try:
        assert registry.loaded.wait(5)
        registry.loaded.clear()
        registry.champions["a"] = "2"
        assert registry.loaded.wait(5)
    finally:
        poller.stop()
    assert holder.get("a").version == "2" and registry.loads == [("a", "1"), ("a", "2")]


def test_a_challenger_holder_unloads_a_model_whose_alias_is_gone():
    registry = Registry({"a": "2"})
    challengers = ModelHolder(["a"], registry.resolve, registry.load, drop_missing=True)
    champions = ModelHolder(["a"], registry.resolve, registry.load)
    challengers.refresh()
    champions.refresh()
    registry.champions["a"] = None  # the alias was removed: the experiment is over
    challengers.refresh()
    champions.refresh()
    assert challengers.get("a") is None
    assert champions.get("a").version == "2"  # a champion is never unloaded for want of an alias
