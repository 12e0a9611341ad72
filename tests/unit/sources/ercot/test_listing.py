"""Listings: the real HTML page and the documented JSON structure give the same documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gridflow.errors import ParseError
from gridflow.sources.ercot.listing import document_from_name, parse_html_listing, parse_json_listing
from tests.unit.sources.ercot.golden_io import FIXTURES

HTML = FIXTURES / "ercot_mis_GetReports.do_listing_12331_DAM_SPP_excerpt.html"
JSON = FIXTURES / "IceDocListJsonWS_12331_documented_structure.json"


def test_real_html_listing():
    docs = parse_html_listing(HTML.read_bytes(), "html")
    assert [d.doc_id for d in docs] == ["1266957722", "1266957719", "1266561949", "1266561946",
                                        "1255232976", "1255232602"]
    first = docs[0]
    assert first.report_type_id == 12331
    assert first.constructed_name == "cdr.00012331.0000000000000000.20260826.124146450.DAMSPNP4190_csv.zip"
    assert first.friendly_name == "DAMSPNP4190_csv" and first.is_csv and not docs[1].is_csv
    # 12:41:46.450 CDT = 17:41:46.450 UTC
    assert first.published_at_utc == datetime(2026, 8, 26, 17, 41, 46, 450000, tzinfo=UTC)


def test_json_listing_matches_html_for_the_same_documents():
    from_json = parse_json_listing(JSON.read_bytes(), "json")
    from_html = {d.doc_id: d for d in parse_html_listing(HTML.read_bytes(), "html")}
    for doc in from_json:
        twin = from_html[doc.doc_id]
        assert (doc.constructed_name, doc.friendly_name, doc.report_type_id) == (
            twin.constructed_name, twin.friendly_name, twin.report_type_id)
        # the JSON time has whole seconds; the name carries milliseconds
        assert abs((doc.published_at_utc - twin.published_at_utc).total_seconds()) < 1


def test_json_listing_xhr_publish_time_is_read_as_standard_time():
    payload = {"ListDocsByRptTypeRes": {"DocumentList": {"Document": {
        "DocID": "1", "ConstructedName": "cdr.00012301.0000000000000000.20231105.011500.SPPHLZNP6905_csv.zip",
        "FriendlyName": "SPPHLZNP6905_20231105_0115_xhr_csv", "PublishDate": "2023-11-05T01:15:00-05:00",
        "ReportTypeID": "12301"}}}}
    (doc,) = parse_json_listing(json.dumps(payload), "json")
    assert doc.published_at_utc == datetime(2023, 11, 5, 7, 15, tzinfo=UTC)  # 01:15 CST


@pytest.mark.parametrize(("payload", "message"), [
    ("<html>oops</html>", "not an ERCOT JSON document list"),
    ('{"other": 1}', "not an ERCOT JSON document list"),
    ('{"ListDocsByRptTypeRes": {"DocumentList": [{"Document": {"DocID": "1"}}]}}', "document #1 of the list is malformed"),
])
def test_bad_json_listing(payload, message):
    with pytest.raises(ParseError, match=message):
        parse_json_listing(payload, "json")


def test_bad_html_listing_and_names():
    with pytest.raises(ParseError, match="not an ERCOT MIS listing page"):
        parse_html_listing("<html><body>Service unavailable</body></html>", "html")
    with pytest.raises(ParseError, match="unexpected document name"):
        document_from_name("1", "report.zip")
    old = document_from_name("7", "cdr.00013101.0000000000000000.20231118.055000.ACTUALSYSLOADWZNP6345_csv.zip")
    assert old.published_at_utc == datetime(2023, 11, 18, 11, 50, tzinfo=UTC)  # 6-digit time, CST
