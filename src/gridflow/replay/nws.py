"""A fake api.weather.gov on the ReplayServer: ``/alerts/active?area=..`` for a storm that evolves.

It answers like the real API (docs/data-formats.md §4): 403 problem+json without a User-Agent,
400 for an area code that is not one, a GeoJSON FeatureCollection filtered to the requested
states, an ``ETag`` and ``Last-Modified`` on every 200 and 304 when ``If-None-Match`` (or, without
it, ``If-Modified-Since``) matches. `advance()` moves the scenario to its next document;
`fault(request)` may return a Reply to inject failures (429, 500...).

The Texas storm (`texas_storm_documents`) is **derived**: every feature copies the key layout and
value formats of the real Severe Thunderstorm Warning and Cancel in
tests/fixtures/nws/nws_alerts_event_severe_thunderstorm_warning_2026-07-09_excerpt.json (and the
zone-based Flood Watch of the 2019 pynws fixture), with Texas counties, times and ids filled in.
Its ids are ``urn:oid:2.49.0.1.840.0.<sha1 of a label>.001.1``, shaped like real ones.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from gridflow.clients.nws import ACTIVE_ALERTS_PATH
from gridflow.replay.server import RecordedRequest, ReplayServer, Reply

_CONTEXT = ["https://geojson.org/geojson-ld/geojson-context.jsonld",
            {"@version": "1.1", "wx": "https://api.weather.gov/ontology#",
             "@vocab": "https://api.weather.gov/ontology#"}]
_API = "https://api.weather.gov"
_SENDER = "w-nws.webmaster@noaa.gov"
_OFFICE = "NWS Houston/Galveston TX"
_CDT = "-05:00"

# County: (name, SAME, UGC); SAME is 0 + state FIPS 48 + county FIPS.
HARRIS = ("Harris", "048201", "TXC201")
FORT_BEND = ("Fort Bend", "048157", "TXC157")
GALVESTON = ("Galveston", "048167", "TXC167")
BRAZORIA = ("Brazoria", "048039", "TXC039")

SCENARIO_STEPS = ("alert", "again", "update", "cancel")


def fake_alert_id(label: str) -> str:
    """A real-shaped NWS message id (urn:oid:...<sha1>.001.1) derived from `label`."""
    return f"urn:oid:2.49.0.1.840.0.{hashlib.sha1(label.encode()).hexdigest()}.001.1"


SVR_ALERT_ID = fake_alert_id("gridflow texas fixture: SVR alert KHGX 0187")
SVR_UPDATE_ID = fake_alert_id("gridflow texas fixture: SVR update KHGX 0187")
SVR_CANCEL_ID = fake_alert_id("gridflow texas fixture: SVR cancel KHGX 0187")
FLOOD_WATCH_ID = fake_alert_id("gridflow texas fixture: flood watch KHGX 0012")


def _t(clock: str) -> str:
    return f"2026-05-12T{clock}:00{_CDT}"


def _ref(alert_id: str, sent: str) -> dict:
    return {"@id": f"{_API}/alerts/{alert_id}", "identifier": alert_id, "sender": _SENDER, "sent": sent}


def _feature(alert_id: str, counties: Sequence[tuple[str, str, str]], properties: dict,
             geometry: dict | None, zone_kind: str = "county") -> dict:
    """A Feature with the real key order: id, type, geometry, properties (@id .. eventCode)."""
    ugc = [c[2] for c in counties]
    props = {
        "@id": f"{_API}/alerts/{alert_id}",
        "@type": "wx:Alert",
        "id": alert_id,
        "areaDesc": "; ".join(f"{c[0]}, TX" for c in counties),
        "geocode": {"SAME": [c[1] for c in counties], "UGC": ugc},
        "affectedZones": [f"{_API}/zones/{zone_kind}/{code}" for code in ugc],
        **properties,
    }
    return {"id": f"{_API}/alerts/{alert_id}", "type": "Feature", "geometry": geometry, "properties": props}


def _polygon(*points: tuple[float, float]) -> dict:
    ring = [[lon, lat] for lon, lat in points]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def svr_alert() -> dict:
    """The new Severe Thunderstorm Warning: Harris, Fort Bend, Galveston; 70 MPH gusts, 1.75 in hail."""
    sent = _t("15:42")
    return _feature(SVR_ALERT_ID, [HARRIS, FORT_BEND, GALVESTON], {
        "references": [],
        "sent": sent, "effective": sent, "onset": sent, "expires": _t("16:30"), "ends": _t("16:30"),
        "status": "Actual", "messageType": "Alert", "category": "Met",
        "severity": "Severe", "certainty": "Observed", "urgency": "Immediate",
        "event": "Severe Thunderstorm Warning", "sender": _SENDER, "senderName": _OFFICE,
        "headline": f"Severe Thunderstorm Warning issued May 12 at 3:42PM CDT until May 12 at 4:30PM CDT by {_OFFICE}",
        "description": ("SVRHGX\n\nThe National Weather Service in League City has issued a\n\n"
                        "* Severe Thunderstorm Warning for...\nSouthern Harris County in southeastern Texas...\n"
                        "Eastern Fort Bend County in southeastern Texas...\n"
                        "Northern Galveston County in southeastern Texas...\n\n* Until 430 PM CDT.\n\n"
                        "* At 341 PM CDT, a severe thunderstorm was located near Sugar Land, moving east at "
                        "35 mph.\n\nHAZARD...70 mph wind gusts and golf ball size hail.\n\n"
                        "SOURCE...Radar indicated.\n\nIMPACT...Expect considerable tree damage. Damage is "
                        "likely to mobile homes, roofs, and outbuildings."),
        "instruction": "For your protection move to an interior room on the lowest floor of a\nbuilding.",
        "response": "Shelter", "note": None,
        "parameters": {
            "AWIPSidentifier": ["SVRHGX"], "WMOidentifier": ["WUUS54 KHGX 122042"],
            "eventMotionDescription": ["2026-05-12T20:41:00-00:00...storm...265DEG...30KT...29.62,-95.63"],
            "windThreat": ["RADAR INDICATED"], "maxWindGust": ["70 MPH"],
            "hailThreat": ["RADAR INDICATED"], "maxHailSize": ["1.75"],
            "BLOCKCHANNEL": ["EAS", "NWEM", "CMAS"], "EAS-ORG": ["WXR"],
            "VTEC": ["/O.NEW.KHGX.SV.W.0187.260512T2042Z-260512T2130Z/"],
            "eventEndingTime": [_t("16:30")],
        },
        "scope": "Public", "code": "IPAWSv1.0", "language": "en-US", "web": "http://www.weather.gov",
        "eventCode": {"SAME": ["SVR"], "NationalWeatherService": ["SVW"]},
    }, _polygon((-95.78, 29.66), (-95.70, 29.38), (-94.98, 29.28), (-94.90, 29.60)))


def svr_update() -> dict:
    """The warning extended into Brazoria (VTEC EXA), gusts now 80 MPH; references the Alert."""
    sent = _t("16:05")
    return _feature(SVR_UPDATE_ID, [HARRIS, FORT_BEND, GALVESTON, BRAZORIA], {
        "references": [_ref(SVR_ALERT_ID, _t("15:42"))],
        "sent": sent, "effective": sent, "onset": sent, "expires": _t("17:00"), "ends": _t("17:00"),
        "status": "Actual", "messageType": "Update", "category": "Met",
        "severity": "Severe", "certainty": "Observed", "urgency": "Immediate",
        "event": "Severe Thunderstorm Warning", "sender": _SENDER, "senderName": _OFFICE,
        "headline": f"Severe Thunderstorm Warning issued May 12 at 4:05PM CDT until May 12 at 5:00PM CDT by {_OFFICE}",
        "description": ("At 404 PM CDT, a severe thunderstorm was located over Pearland, moving southeast at "
                        "30 mph.\n\nHAZARD...80 mph wind gusts and golf ball size hail.\n\n"
                        "SOURCE...Radar indicated.\n\nIMPACT...Expect considerable tree damage. Damage is "
                        "likely to mobile homes, roofs, and outbuildings."),
        "instruction": "For your protection move to an interior room on the lowest floor of a\nbuilding.",
        "response": "Shelter", "note": None,
        "parameters": {
            "AWIPSidentifier": ["SVSHGX"], "WMOidentifier": ["WWUS54 KHGX 122105"],
            "NWSheadline": ["THE SEVERE THUNDERSTORM WARNING IS EXTENDED INTO BRAZORIA COUNTY"],
            "eventMotionDescription": ["2026-05-12T21:04:00-00:00...storm...300DEG...26KT...29.56,-95.29"],
            "windThreat": ["RADAR INDICATED"], "maxWindGust": ["80 MPH"],
            "hailThreat": ["RADAR INDICATED"], "maxHailSize": ["1.75"],
            "BLOCKCHANNEL": ["EAS", "NWEM", "CMAS"], "EAS-ORG": ["WXR"],
            "VTEC": ["/O.EXA.KHGX.SV.W.0187.000000T0000Z-260512T2200Z/"],
            "eventEndingTime": [_t("17:00")],
        },
        "scope": "Public", "code": "IPAWSv1.0", "language": "en-US", "web": "http://www.weather.gov",
        "eventCode": {"SAME": ["SVS"], "NationalWeatherService": ["SVW"]},
    }, _polygon((-95.70, 29.62), (-95.62, 29.05), (-94.92, 29.10), (-94.90, 29.58)))


def svr_cancel() -> dict:
    """The cancellation (Minor / Past / AllClear, like every NWS Cancel); references the Update."""
    sent = _t("16:40")
    return _feature(SVR_CANCEL_ID, [HARRIS, FORT_BEND, GALVESTON, BRAZORIA], {
        "references": [_ref(SVR_UPDATE_ID, _t("16:05"))],
        "sent": sent, "effective": sent, "onset": sent, "expires": _t("16:55"), "ends": _t("17:00"),
        "status": "Actual", "messageType": "Cancel", "category": "Met",
        "severity": "Minor", "certainty": "Observed", "urgency": "Past",
        "event": "Severe Thunderstorm Warning", "sender": _SENDER, "senderName": _OFFICE,
        "headline": "The Severe Thunderstorm Warning has been cancelled.",
        "description": "The Severe Thunderstorm Warning has been cancelled and is no longer in effect.",
        "instruction": None, "response": "AllClear", "note": None,
        "parameters": {
            "AWIPSidentifier": ["SVSHGX"], "WMOidentifier": ["WWUS54 KHGX 122140"],
            "NWSheadline": ["THE SEVERE THUNDERSTORM WARNING FOR HARRIS, FORT BEND, GALVESTON AND BRAZORIA "
                            "COUNTIES IS CANCELLED"],
            "eventMotionDescription": ["2026-05-12T21:39:00-00:00...storm...300DEG...26KT...29.30,-95.05"],
            "BLOCKCHANNEL": ["EAS", "NWEM", "CMAS"], "EAS-ORG": ["WXR"],
            "VTEC": ["/O.CAN.KHGX.SV.W.0187.000000T0000Z-260512T2200Z/"],
            "eventEndingTime": [_t("17:00")],
        },
        "scope": "Public", "code": "IPAWSv1.0", "language": "en-US", "web": "http://www.weather.gov",
        "eventCode": {"SAME": ["SVS"], "NationalWeatherService": ["SVW"]},
    }, _polygon((-95.70, 29.62), (-95.62, 29.05), (-94.92, 29.10), (-94.90, 29.58)))


def flood_watch() -> dict:
    """A zone-based Flood Watch over Harris (geometry null): not a storm warning, to be ignored."""
    sent = _t("04:12")
    return _feature(FLOOD_WATCH_ID, [("Harris", "048201", "TXZ213")], {
        "references": [],
        "sent": sent, "effective": sent, "onset": _t("18:00"), "expires": "2026-05-13T04:15:00-05:00",
        "ends": "2026-05-13T07:00:00-05:00",
        "status": "Actual", "messageType": "Alert", "category": "Met",
        "severity": "Severe", "certainty": "Possible", "urgency": "Future",
        "event": "Flood Watch", "sender": _SENDER, "senderName": _OFFICE,
        "headline": f"Flood Watch issued May 12 at 4:12AM CDT until May 13 at 7:00AM CDT by {_OFFICE}",
        "description": ("* WHAT...Flooding caused by excessive rainfall is possible.\n\n* WHERE...Harris "
                        "County.\n\n* WHEN...From this evening through Wednesday morning."),
        "instruction": ("You should monitor later forecasts and be alert for possible Flood Warnings. Those "
                        "living in areas prone to flooding should be prepared to take action should flooding "
                        "develop."),
        "response": "Prepare", "note": None,
        "parameters": {
            "AWIPSidentifier": ["FFAHGX"], "WMOidentifier": ["WGUS64 KHGX 120912"],
            "NWSheadline": ["FLOOD WATCH IN EFFECT FROM THIS EVENING THROUGH WEDNESDAY MORNING"],
            "BLOCKCHANNEL": ["EAS", "NWEM"], "EAS-ORG": ["WXR"],
            "VTEC": ["/O.NEW.KHGX.FA.A.0012.260512T2300Z-260513T1200Z/"],
            "eventEndingTime": ["2026-05-13T07:00:00-05:00"],
        },
        "scope": "Public", "code": "IPAWSv1.0", "language": "en-US", "web": "http://www.weather.gov",
        "eventCode": {"SAME": ["FFA"], "NationalWeatherService": ["FAA"]},
    }, None, zone_kind="forecast")


def collection(features: list[dict], updated: str, title: str = "current watches, warnings, and advisories "
               "for Texas") -> dict:
    """A FeatureCollection exactly as ``/alerts/active`` wraps its features."""
    return {"@context": copy.deepcopy(_CONTEXT), "type": "FeatureCollection", "features": features,
            "title": title, "updated": updated}


def texas_storm_documents() -> dict[str, dict]:
    """The scenario's ``/alerts/active?area=TX`` answers, by fixture file name (tests/fixtures/nws)."""
    return {
        "nws_alerts_active_tx_1_alert_derived.json":
            collection([svr_alert(), flood_watch()], "2026-05-12T20:43:10+00:00"),
        "nws_alerts_active_tx_2_update_derived.json":
            collection([svr_update(), flood_watch()], "2026-05-12T21:06:05+00:00"),
        "nws_alerts_active_tx_3_cancel_derived.json":
            collection([svr_cancel(), flood_watch()], "2026-05-12T21:41:20+00:00"),
    }


def derived_files() -> dict[str, dict]:
    """Every derived fixture file of tests/fixtures/nws: the three lists and one single-alert answer."""
    # ``/alerts/{id}`` answers one Feature with the @context on top, as an alert pushed to us would be.
    single = {"@context": copy.deepcopy(_CONTEXT), **svr_alert()}
    return {**texas_storm_documents(), "nws_alert_tx_svr_alert_feature_derived.json": single}


def texas_storm_steps() -> list[dict]:
    """The documents of `SCENARIO_STEPS`: alert, the same alert again (newer ``updated``), update, cancel."""
    first, update, cancel = texas_storm_documents().values()
    again = copy.deepcopy(first)
    again["updated"] = "2026-05-12T20:45:10+00:00"  # the real API restamps the list on every refresh
    return [first, again, update, cancel]


# ---- the server side ---------------------------------------------------------------------------


def _problem(status: int, title: str, detail: str, **extra: object) -> Reply:
    body = {"correlationId": hashlib.sha1(detail.encode()).hexdigest()[:12], "title": title,
            "type": f"{_API}/problems/{title.replace(' ', '')}", "status": status, "detail": detail,
            "instance": f"{_API}/requests/{hashlib.sha1(title.encode()).hexdigest()[:12]}", **extra}
    return Reply(status, json.dumps(body), {"Content-Type": "application/problem+json"})


@dataclass
class FakeNws:
    """Handler for ``ReplayServer.add_handler("/alerts/active", fake)``: serves `steps[step]`."""

    steps: list[dict]
    step: int = 0
    fault: Callable[[RecordedRequest], Reply | None] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)

    def advance(self) -> int:
        """Move to the next document (the last one stays); returns the new step index."""
        self.step = min(self.step + 1, len(self.steps) - 1)
        return self.step

    def __call__(self, request: RecordedRequest) -> Reply:
        """Answer one request like api.weather.gov would."""
        self.requests.append(request)
        if not request.headers.get("User-Agent", "").strip():
            return _problem(403, "Forbidden", "A User-Agent header is required to access this API. Please "
                            "include one identifying your application and a contact.")
        if self.fault is not None and (reply := self.fault(request)) is not None:
            return reply
        areas = [a for a in request.query.get("area", "").split(",") if a]
        bad = [a for a in areas if len(a) != 2 or not a.isalpha() or not a.isupper()]
        if bad:
            return _problem(400, "Bad Request", "Bad Request", parameterErrors=[
                {"parameter": "area", "message": f"Does not have a value in the enumeration: {bad[0]!r}"}])
        doc = copy.deepcopy(self.steps[self.step])
        if areas:  # UGC codes start with the state: TXC201, TXZ213
            doc["features"] = [f for f in doc["features"]
                               if any(c[:2] in areas for c in f["properties"]["geocode"]["UGC"])]
        body = json.dumps(doc, indent=4).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        modified = datetime.fromisoformat(doc["updated"]).astimezone(UTC)
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
                   "Cache-Control": "public, max-age=30, s-maxage=30"}
        if _not_modified(request, etag, modified):
            return Reply(304, b"", headers)
        return Reply(200, body, {"Content-Type": "application/geo+json", **headers})


def _not_modified(request: RecordedRequest, etag: str, modified: datetime) -> bool:
    headers = {k.lower(): v for k, v in request.headers.items()}
    if "if-none-match" in headers:  # RFC 9110: If-None-Match wins over If-Modified-Since
        return etag in [t.strip() for t in headers["if-none-match"].split(",")] or headers["if-none-match"] == "*"
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
        return modified - since.astimezone(UTC) < timedelta(seconds=1)
    return False


def serve_nws(server: ReplayServer, fake: FakeNws) -> FakeNws:
    """Route ``/alerts/active`` of `server` to `fake`; returns it."""
    server.add_handler(ACTIVE_ALERTS_PATH, fake)
    return fake


def texas_storm_scenario(**options: object) -> FakeNws:
    """A FakeNws at step "alert" of the Texas storm (`SCENARIO_STEPS`)."""
    return FakeNws(texas_storm_steps(), **options)  # type: ignore[arg-type]
