"""NWS alert parser: golden files on the real and derived documents, the storm filter, every bad
input, and property tests of the wind-gust / hail-size parameters."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridflow.errors import ConfigError, ParseError
from gridflow.replay import nws as fake
from gridflow.sources.nws_alerts import (
    Alert,
    county_fips,
    is_storm_warning,
    parse_alert_document,
    parse_feature,
    parse_hail_inches,
    parse_wind_gust_mph,
    severity_rank,
)
from gridflow.usecases.configs import STORM_EVENTS_DEFAULT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "nws"
GOLDEN = FIXTURES / "golden"
REAL_SVR = "nws_alerts_event_severe_thunderstorm_warning_2026-07-09_excerpt.json"
REAL_FLOOD = "nws_alerts_active_zone_flood_watch_update_2019_pynws_fixture.json"
TX_ALERT = "nws_alerts_active_tx_1_alert_derived.json"
TX_UPDATE = "nws_alerts_active_tx_2_update_derived.json"
TX_CANCEL = "nws_alerts_active_tx_3_cancel_derived.json"
TX_FEATURE = "nws_alert_tx_svr_alert_feature_derived.json"
ALL = [REAL_SVR, REAL_FLOOD, TX_ALERT, TX_UPDATE, TX_CANCEL, TX_FEATURE]


def as_json(alert: Alert) -> dict:
    """An alert as stable JSON: UTC times with Z, tuples as lists, the raw document left out."""
    data = asdict(alert)
    data.pop("document")

    def clean(value):
        if isinstance(value, datetime):
            return value.isoformat().replace("+00:00", "Z")
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return clean(data)


def parse_file(name: str):
    return parse_alert_document((FIXTURES / name).read_bytes(), name)


@pytest.mark.parametrize("name", ALL)
def test_golden(name):
    batch = parse_file(name)
    assert batch.errors == []
    golden = json.loads((GOLDEN / name).read_text())
    assert [as_json(a) for a in batch.alerts] == golden


def test_derived_fixtures_are_what_the_replay_server_serves():
    for name, doc in fake.derived_files().items():
        assert json.loads((FIXTURES / name).read_text()) == doc, f"re-run tests/fixtures/nws/build_derived.py ({name})"


def test_real_severe_thunderstorm_documents():
    cancel, alert = parse_file(REAL_SVR).alerts
    assert (alert.message_type, alert.severity, alert.max_wind_gust_mph, alert.max_hail_in) == ("Alert", "Severe", 60.0, 0.75)
    assert alert.sent_utc == datetime(2026, 7, 9, 5, 38, tzinfo=UTC)  # 00:38 CDT
    assert alert.county_fips == ("20117", "20131", "20149", "20161")
    assert alert.references == ()
    assert (cancel.message_type, cancel.severity, cancel.urgency) == ("Cancel", "Minor", "Past")
    (ref,) = cancel.references
    assert ref.alert_id == "urn:oid:2.49.0.1.840.0.6c938c471eac7e2d3eaf9cc2e3ee81f6c5aa4555.001.1"
    assert ref.sent_utc == datetime(2026, 7, 9, 5, 23, tzinfo=UTC)
    assert cancel.max_wind_gust_mph is None and cancel.max_hail_in is None
    assert cancel.vtec == ("/O.CAN.KTOP.SV.W.0347.000000T0000Z-260709T0600Z/",)


def test_real_zone_flood_watch_update_with_four_references():
    (watch,) = parse_file(REAL_FLOOD).alerts
    assert watch.alert_id == "NWS-IDP-PROD-3965873-3369046"
    assert watch.message_type == "Update" and len(watch.references) == 4
    assert watch.sent_utc == datetime(2019, 12, 20, 21, 34, tzinfo=UTC)  # 13:34 PST
    assert watch.ends_utc == datetime(2019, 12, 22, 18, 0, tzinfo=UTC)
    assert watch.ugc_codes[0] == "ORZ001" and "53059" in watch.county_fips
    assert watch.document["geometry"] is None


def test_texas_scenario_facts():
    svr, flood = parse_file(TX_ALERT).alerts
    assert svr.same_codes == ("048201", "048157", "048167")
    assert svr.ugc_codes == ("TXC201", "TXC157", "TXC167")
    assert svr.county_fips == ("48157", "48167", "48201")
    assert (svr.max_wind_gust_mph, svr.max_hail_in) == (70.0, 1.75)
    assert svr.sent_utc == datetime(2026, 5, 12, 20, 42, tzinfo=UTC)
    assert svr.alert_id == fake.SVR_ALERT_ID
    assert flood.event == "Flood Watch"
    (update,) = [a for a in parse_file(TX_UPDATE).alerts if a.event != "Flood Watch"]
    assert update.reference_ids == (fake.SVR_ALERT_ID,)
    assert "048039" in update.same_codes and update.max_wind_gust_mph == 80.0
    (cancel,) = [a for a in parse_file(TX_CANCEL).alerts if a.event != "Flood Watch"]
    assert cancel.reference_ids == (fake.SVR_UPDATE_ID,) and cancel.message_type == "Cancel"
    (single,) = parse_file(TX_FEATURE).alerts
    assert single == svr


def test_storm_filter():
    svr, flood = parse_file(TX_ALERT).alerts
    events = STORM_EVENTS_DEFAULT
    assert is_storm_warning(svr, events, "Moderate")
    assert is_storm_warning(svr, events, "Severe")
    assert not is_storm_warning(svr, events, "Extreme")
    assert not is_storm_warning(flood, events, "Minor")  # not a storm event
    assert is_storm_warning(flood, ["flood watch"], "Minor")  # case-insensitive
    assert not is_storm_warning(replace(svr, severity="Minor"), events, "Moderate")
    assert not is_storm_warning(replace(svr, severity=None), events, "Minor")
    assert not is_storm_warning(replace(svr, status="Test"), events, "Minor")
    assert not is_storm_warning(replace(svr, message_type="Ack"), events, "Minor")
    (cancel,) = [a for a in parse_file(TX_CANCEL).alerts if a.message_type == "Cancel"]
    assert cancel.severity == "Minor" and is_storm_warning(cancel, events, "Severe")  # cancels always count
    with pytest.raises(ConfigError, match="unknown severity 'Sever'"):
        is_storm_warning(svr, events, "Sever")


def test_severity_rank_and_fips():
    assert [severity_rank(s) for s in ("Unknown", "minor", "Moderate", "SEVERE", "Extreme", "Bogus", None)] == [0, 1, 2, 3, 4, 0, 0]
    assert county_fips(["048201", "148201", "bad", "048039"]) == ("48039", "48201")


def test_single_feature_and_missing_properties_id_uses_the_feature_url():
    feature = copy.deepcopy(fake.svr_alert())
    del feature["properties"]["id"]
    assert parse_feature(feature).alert_id == fake.SVR_ALERT_ID


def test_repeated_id_in_one_document_is_kept_once():
    doc = fake.collection([fake.svr_alert(), fake.svr_alert()], "2026-05-12T20:43:10+00:00")
    assert len(parse_alert_document(doc).alerts) == 1


@pytest.mark.parametrize(("doc", "message"), [
    (b"<html>gateway timeout</html>", "not JSON"),
    (b"[1, 2]", "expected a JSON object, got list"),
    (b'{"type": "Polygon"}', "expected a GeoJSON FeatureCollection or Feature, got type='Polygon'"),
    (b'{"type": "FeatureCollection"}', "without a 'features' list"),
    (b'{"type": "FeatureCollection", "features": [], "updated": "2026-05-12T20:43:10"}', "'updated' has no UTC offset"),
])
def test_unusable_documents_raise(doc, message):
    with pytest.raises(ParseError, match=message):
        parse_alert_document(doc, "test-doc")


def _broken(path: str, value) -> dict:
    feature = copy.deepcopy(fake.svr_alert())
    target = feature
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return feature


@pytest.mark.parametrize(("path", "value", "message"), [
    ("properties", KeyError, "without a 'properties' object"),
    ("properties.sent", KeyError, "'sent' is missing"),
    ("properties.sent", "2026-05-12T15:42:00", "'sent' has no UTC offset"),
    ("properties.expires", "tomorrow", "'expires' is not an ISO 8601 time"),
    ("properties.event", "", "'event' is missing or empty"),
    ("properties.messageType", 3, "'messageType' must be text"),
    ("properties.geocode.SAME", ["48201"], "geocode.SAME codes must be 6 digits"),
    ("properties.geocode.UGC", [1], "'geocode.UGC' must be a list of strings"),
    ("properties.references", {"id": "x"}, "'references' must be a list"),
    ("properties.references", [{"sender": "x"}], "references[0] has neither 'identifier' nor '@id'"),
    ("properties.parameters", ["70 MPH"], "'parameters' must be an object"),
])
def test_bad_feature_is_reported_and_the_others_still_parse(path, value, message):
    broken = _broken(path, value)
    doc = fake.collection([broken, fake.flood_watch()], "2026-05-12T20:43:10+00:00")
    batch = parse_alert_document(doc, "tx")
    assert [a.event for a in batch.alerts] == ["Flood Watch"]
    (error,) = batch.errors
    assert "tx features[0]" in str(error)
    assert message in error.detail, error.detail
    with pytest.raises(ParseError):  # a single pushed Feature has nothing else to fall back on
        parse_alert_document(broken, "push")


def test_feature_without_any_id():
    feature = _broken("properties.id", KeyError)
    del feature["id"]
    with pytest.raises(ParseError, match="without an alert id"):
        parse_feature(feature, "x")


@pytest.mark.parametrize(("values", "mph"), [
    (["70 MPH"], 70.0), (["60 mph"], 60.0), ("80MPH", 80.0), (["Up to 60 MPH"], 60.0), (["40-60 MPH"], 60.0),
    (["50 KT"], 57.5), (["50 knots"], 57.5), (["70"], 70.0), (["0 MPH"], 0.0), (["58 MPH", "70 MPH"], 70.0),
    ([], None), (None, None), (["RADAR INDICATED"], None), ([None, 3], 3.0), ({"x": 1}, None),
])
def test_wind_gust_examples(values, mph):
    assert parse_wind_gust_mph(values) == mph


@pytest.mark.parametrize(("values", "inches"), [
    (["1.75"], 1.75), (["0.75"], 0.75), (["Up to .75"], 0.75), (["1.00"], 1.0), ("<.75", 0.75), (["2.50 IN"], 2.5),
    (["0.00"], 0.0), ([], None), (None, None), (["pea"], None), (["4.45 CM"], 1.75),
])
def test_hail_size_examples(values, inches):
    assert parse_hail_inches(values) == inches


speeds = st.integers(min_value=0, max_value=250)
prefixes = st.sampled_from(["", "Up to ", "up to ", "<", "~", "AROUND "])
mph_units = st.sampled_from([" MPH", "MPH", " mph", " Mph", ""])
hail_sizes = st.decimals(min_value=0, max_value=6, places=2)


@given(speeds, prefixes, mph_units)
def test_gust_formats_read_back_the_number(speed, prefix, unit):
    assert parse_wind_gust_mph([f"{prefix}{speed}{unit}"]) == float(speed)


@given(st.lists(speeds, min_size=1, max_size=4))
def test_gust_is_the_largest_of_the_list(values):
    assert parse_wind_gust_mph([f"{v} MPH" for v in values]) == float(max(values))


@given(hail_sizes, prefixes, st.booleans())
def test_hail_formats_read_back_the_size(size, prefix, drop_leading_zero):
    text = f"{size:.2f}"
    if drop_leading_zero and text.startswith("0."):
        text = text[1:]  # NWS writes "Up to .75"
    assert parse_hail_inches([f"{prefix}{text}"]) == pytest.approx(float(size))


@given(st.one_of(st.none(), st.text(), st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none()))))
def test_parameter_parsers_never_raise_and_never_go_negative(value):
    for parse in (parse_wind_gust_mph, parse_hail_inches):
        result = parse(value)
        assert result is None or result >= 0
