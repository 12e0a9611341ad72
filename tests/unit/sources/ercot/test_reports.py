"""The report registry: lookups, and that every entry is consistent with its table and suite."""

from __future__ import annotations

import json

import pytest

from gridflow.errors import ConfigError
from gridflow.sources.ercot.reports import REPORTS, get_report
from gridflow.validation.gx_adapter import suite_path


def test_lookup_by_key_and_id():
    assert get_report("dam_spp").report_type_id == 12331
    assert get_report(12334).key == "dam_energy_sold"
    assert get_report("13101").table.name == "load_observation"
    with pytest.raises(ConfigError, match="unknown ERCOT report 'nope'; known: dam_spp \\(12331\\)"):
        get_report("nope")


@pytest.mark.parametrize("key", REPORTS)
def test_entries_are_consistent(key):
    spec = REPORTS[key]
    assert all(c in spec.table.c for c in spec.key_columns)
    assert set(spec.key_columns) == {c.name for c in spec.table.primary_key}
    suite = json.loads(suite_path(spec.dataset).read_text())
    assert suite["name"] == spec.dataset
    assert all(e["meta"]["why"] for e in suite["expectations"])


def test_friendly_name_filter():
    spec = get_report("dam_spp")
    assert spec.matches("DAMSPNP4190_csv") and not spec.matches("DAMSPNP4190_xml")
    assert not spec.matches("CoLocatedBatteryIdentification_csv")
