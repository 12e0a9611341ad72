"""Feeder membership by meter id or pattern."""

from __future__ import annotations

import pytest

from gridflow.consumption.feeders import feeder_of, like_patterns
from gridflow.errors import ConfigError


def test_patterns_and_ids_assign_each_meter_to_one_feeder():
    feeders = {"north": ["SGSC-1*"], "south": ["SGSC-20", "SGSC-21"]}
    assert feeder_of(["SGSC-10", "SGSC-20", "OTHER-1"], feeders) == {"SGSC-10": "north", "SGSC-20": "south"}
    assert like_patterns(["SGSC-*", "X?"]) == ["SGSC-%", "X_"]
    with pytest.raises(ConfigError, match="several feeders"):
        feeder_of(["SGSC-10"], {"a": ["SGSC-*"], "b": ["SGSC-10"]})
