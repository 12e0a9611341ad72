"""The event vocabulary is a contract with automations already registered on servers and with
operators' own triggers: names and resource ids must not drift."""

from __future__ import annotations

import pytest

from gridflow import events


def test_event_names_are_the_documented_ones():
    assert events.DRIFT_DETECTED == "gridflow.model.drift.detected"
    assert events.MODEL_PROMOTED == "gridflow.model.promoted"
    assert events.PROMOTION_REJECTED == "gridflow.model.promotion.rejected"
    assert events.DATA_QUARANTINED == "gridflow.data.quarantined"
    assert events.ASSET_HEALTH_DEGRADED == "gridflow.asset.health.degraded"
    assert events.WEATHER_ALERT == {
        "issued": "gridflow.weather.alert.issued",
        "updated": "gridflow.weather.alert.updated",
        "cancelled": "gridflow.weather.alert.cancelled",
    }


def test_resource_ids():
    assert events.model_resource("load_forecast") == "gridflow.model.load_forecast"
    assert events.dataset_resource("pjm_load") == "gridflow.dataset.pjm_load"
    assert events.alert_resource("urn:oid:2.49.0.1.840.0.x") == "nws.alert.urn:oid:2.49.0.1.840.0.x"
    assert events.alert_chain_resource("c1") == "nws.alert-chain.c1"
    assert events.asset_resource("T-17") == "gridflow.asset.T-17"
    assert events.resource_match(events.alert_resource("*")) == {"prefect.resource.id": "nws.alert.*"}


def test_alert_id_round_trips_through_its_resource():
    alert_id = "urn:oid:2.49.0.1.840.0.abc.001.1"
    assert events.alert_id_from_resource(events.alert_resource(alert_id)) == alert_id
    with pytest.raises(ValueError, match="not an NWS alert resource id"):
        events.alert_id_from_resource(events.model_resource("x"))


def test_every_name_is_under_the_gridflow_namespace():
    names = [events.DRIFT_DETECTED, events.MODEL_PROMOTED, events.PROMOTION_REJECTED,
             events.MODEL_ROLLED_BACK, events.DATA_QUARANTINED, events.ASSET_HEALTH_DEGRADED, *events.WEATHER_ALERT.values()]
    assert all(name.startswith("gridflow.") for name in names)
    assert len(set(names)) == len(names)


def test_an_emitted_resource_carries_its_id_and_labels():
    assert events.resource(events.model_resource("m")) == {"prefect.resource.id": "gridflow.model.m"}
    assert events.resource("nws.alert-chain.c", {"prefect.resource.role": "alert-chain"}) == {
        "prefect.resource.id": "nws.alert-chain.c", "prefect.resource.role": "alert-chain"}
