"""Pure parser of api.weather.gov alert documents (GeoJSON, docs/data-formats.md section 4) -> `Alert`s.

Accepts a FeatureCollection (``/alerts/active``, ``/alerts``) or a single Feature (``/alerts/{id}``,
or an alert pushed to us). Times carry the issuing office's offset and are returned in UTC.
``parameters`` values are lists of strings; the two the outage model needs, ``maxWindGust``
("70 MPH") and ``maxHailSize`` ("1.75", "Up to .75"), are read into mph and inches.

A broken collection (not JSON, not GeoJSON) raises `ParseError`; one broken feature inside a good
collection is reported in `AlertBatch.errors` and the others still parse, so one bad message
cannot hide a tornado warning next to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gridflow.errors import ConfigError, ParseError

# CAP severities, least first; "Unknown" ranks below everything a threshold can name.
SEVERITIES = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
MESSAGE_TYPES = ("Alert", "Update", "Cancel")  # the ones that change an alert's life; Ack/Error do not

_SAME = re.compile(r"^\d{6}$")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
# Knots appear on marine products; km/h and m/s never on NWS ones, but cost nothing to read.
_SPEED_UNITS = (
    (re.compile(r"\b(?:KTS?|KNOTS?)\b", re.IGNORECASE), 1.150779),
    (re.compile(r"KM\s*/\s*H|\bKPH\b|\bKMH\b", re.IGNORECASE), 0.621371),
    (re.compile(r"\bM\s*/\s*S\b", re.IGNORECASE), 2.236936),
)
_CM = re.compile(r"\bCM\b", re.IGNORECASE)


@dataclass(frozen=True)
class AlertReference:
    """An earlier message this one updates or cancels."""

    alert_id: str
    sent_utc: datetime | None = None
    sender: str | None = None


@dataclass(frozen=True)
class Alert:
    """One NWS alert message (CAP over GeoJSON); times are aware UTC datetimes."""

    alert_id: str
    message_type: str  # Alert | Update | Cancel (Ack, Error are parsed but never storm warnings)
    event: str
    status: str  # Actual | Exercise | System | Test | Draft
    severity: str | None
    certainty: str | None
    urgency: str | None
    sent_utc: datetime
    effective_utc: datetime | None
    onset_utc: datetime | None
    expires_utc: datetime | None
    ends_utc: datetime | None
    area_desc: str | None
    same_codes: tuple[str, ...]
    ugc_codes: tuple[str, ...]
    references: tuple[AlertReference, ...]
    max_wind_gust_mph: float | None
    max_hail_in: float | None
    sender_name: str | None
    headline: str | None
    vtec: tuple[str, ...] = ()
    # The feature as received, stored beside the parsed fields; not part of equality.
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def reference_ids(self) -> tuple[str, ...]:
        """Ids of the earlier messages this one refers to."""
        return tuple(r.alert_id for r in self.references)

    @property
    def county_fips(self) -> tuple[str, ...]:
        """5-digit state+county FIPS codes of the SAME codes, sorted and unique."""
        return county_fips(self.same_codes)

    @property
    def title(self) -> str:
        """A one-line name for people: the headline, else event and area."""
        if self.headline:
            return self.headline
        return f"{self.event} ({self.area_desc})" if self.area_desc else self.event


@dataclass(frozen=True)
class AlertBatch:
    """The alerts of one document, the features that could not be read, and the document's stamp."""

    alerts: list[Alert]
    errors: list[ParseError]
    updated_utc: datetime | None = None
    title: str | None = None


def parse_alert_document(doc: bytes | str | Mapping[str, Any], source: str = "nws") -> AlertBatch:
    """Parse a FeatureCollection or one Feature (as bytes, text or decoded JSON).

    Raises `ParseError` when the document itself is unusable; a feature that cannot be read is
    reported in `errors` (naming its index and id) and left out. A message id repeated within
    the document is kept once.
    """
    data = _decode(doc, source)
    kind = data.get("type")
    if kind == "Feature":
        return AlertBatch([parse_feature(data, source)], [])
    if kind != "FeatureCollection":
        raise ParseError(source, f"expected a GeoJSON FeatureCollection or Feature, got type={kind!r}")
    features = data.get("features")
    if not isinstance(features, list):
        raise ParseError(source, "FeatureCollection without a 'features' list")
    alerts: list[Alert] = []
    errors: list[ParseError] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        where = f"{source} features[{index}]"
        try:
            alert = parse_feature(feature, where)
        except ParseError as exc:
            errors.append(exc)
            continue
        if alert.alert_id not in seen:
            seen.add(alert.alert_id)
            alerts.append(alert)
    updated = _optional_time(data.get("updated"), source, "updated")
    title = data.get("title") if isinstance(data.get("title"), str) else None
    return AlertBatch(alerts, errors, updated, title)


def parse_feature(feature: Any, source: str = "nws") -> Alert:
    """One GeoJSON Feature -> `Alert`; `ParseError` names the field that is missing or wrong."""
    if not isinstance(feature, Mapping):
        raise ParseError(source, f"a feature must be a JSON object, got {type(feature).__name__}")
    props = feature.get("properties")
    if not isinstance(props, Mapping):
        raise ParseError(source, "feature without a 'properties' object")
    alert_id = _alert_id(props.get("id"), feature.get("id"))
    if alert_id is None:
        raise ParseError(source, "feature without an alert id (properties.id)")
    where = f"{source} ({alert_id})"
    parameters = props.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ParseError(where, f"'parameters' must be an object, got {type(parameters).__name__}")
    geocode = props.get("geocode") or {}
    if not isinstance(geocode, Mapping):
        raise ParseError(where, f"'geocode' must be an object, got {type(geocode).__name__}")
    same = _codes(geocode.get("SAME"), where, "geocode.SAME")
    bad = [c for c in same if not _SAME.match(c)]
    if bad:
        raise ParseError(where, f"geocode.SAME codes must be 6 digits (0 + state + county FIPS): {bad[:5]}")
    return Alert(
        alert_id=alert_id,
        message_type=_required_text(props, "messageType", where),
        event=_required_text(props, "event", where),
        # CAP requires a status; a relay that drops it is read as Actual rather than losing a warning.
        status=_optional_text(props.get("status"), where, "status") or "Actual",
        severity=_optional_text(props.get("severity"), where, "severity"),
        certainty=_optional_text(props.get("certainty"), where, "certainty"),
        urgency=_optional_text(props.get("urgency"), where, "urgency"),
        sent_utc=_required_time(props, "sent", where),
        effective_utc=_optional_time(props.get("effective"), where, "effective"),
        onset_utc=_optional_time(props.get("onset"), where, "onset"),
        expires_utc=_optional_time(props.get("expires"), where, "expires"),
        ends_utc=_optional_time(props.get("ends"), where, "ends"),
        area_desc=_optional_text(props.get("areaDesc"), where, "areaDesc"),
        same_codes=tuple(same),
        ugc_codes=tuple(c.upper() for c in _codes(geocode.get("UGC"), where, "geocode.UGC")),
        references=_references(props.get("references"), where),
        max_wind_gust_mph=parse_wind_gust_mph(parameters.get("maxWindGust")),
        max_hail_in=parse_hail_inches(parameters.get("maxHailSize")),
        sender_name=_optional_text(props.get("senderName"), where, "senderName"),
        headline=_optional_text(props.get("headline"), where, "headline"),
        vtec=tuple(_codes(parameters.get("VTEC"), where, "parameters.VTEC")),
        document=feature,
    )


def is_storm_warning(alert: Alert, events: Iterable[str], min_severity: str) -> bool:
    """True when the alert is a real (status Actual) storm warning the storm response answers.

    Its event must be one of `events` (case-insensitive) and its severity at least
    `min_severity`, except for a Cancel: NWS sends every cancellation as Minor/Past, and a
    cancellation of a warning we answered must still reach us.
    """
    threshold = severity_rank(min_severity, strict=True)
    if alert.status != "Actual" or alert.message_type not in MESSAGE_TYPES:
        return False
    if alert.event.casefold() not in {e.casefold() for e in events}:
        return False
    return alert.message_type == "Cancel" or severity_rank(alert.severity) >= threshold


def severity_rank(severity: str | None, strict: bool = False) -> int:
    """Position of a CAP severity in `SEVERITIES` (Unknown 0 .. Extreme 4).

    An unrecognised value ranks as Unknown, or raises `ConfigError` when `strict` (a threshold
    from the settings must be spelled right).
    """
    for rank, name in enumerate(SEVERITIES):
        if severity is not None and severity.strip().casefold() == name.casefold():
            return rank
    if strict:
        raise ConfigError(f"unknown severity {severity!r}: use one of {', '.join(SEVERITIES[1:])}")
    return 0


def county_fips(same_codes: Iterable[str]) -> tuple[str, ...]:
    """SAME codes ("048201": part digit + state + county FIPS) -> sorted unique 5-digit FIPS."""
    return tuple(sorted({code[-5:] for code in same_codes if _SAME.match(code)}))


def parse_wind_gust_mph(values: Any) -> float | None:
    """``maxWindGust`` (e.g. ["70 MPH"], "60 mph", "50 KT") -> the largest gust in mph, or None.

    Numbers without a unit are mph (the NWS default). Text without a number gives None: a
    missing gust must not reject a warning.
    """
    best: float | None = None
    for text in _strings(values):
        factor = next((f for pattern, f in _SPEED_UNITS if pattern.search(text)), 1.0)
        for number in _numbers(text):
            best = max(best or 0.0, round(number * factor, 1))
    return best


def parse_hail_inches(values: Any) -> float | None:
    """``maxHailSize`` (e.g. ["1.75"], "Up to .75", "1.00 IN") -> the largest size in inches, or None."""
    best: float | None = None
    for text in _strings(values):
        factor = 1 / 2.54 if _CM.search(text) else 1.0
        for number in _numbers(text):
            best = max(best or 0.0, round(number * factor, 2))
    return best


# ---- helpers -----------------------------------------------------------------------------------


def _decode(doc: bytes | str | Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if isinstance(doc, Mapping):
        return doc
    try:
        data = json.loads(doc)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(source, f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ParseError(source, f"expected a JSON object, got {type(data).__name__}")
    return data


def _alert_id(value: Any, feature_id: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    # Some producers leave properties.id out; the feature id is the alert's URL ending in it.
    if isinstance(feature_id, str) and feature_id.strip():
        return feature_id.strip().rstrip("/").rsplit("/", 1)[-1]
    return None


def _required_text(props: Mapping[str, Any], key: str, where: str) -> str:
    value = _optional_text(props.get(key), where, key)
    if not value:
        raise ParseError(where, f"'{key}' is missing or empty")
    return value


def _optional_text(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(where, f"'{key}' must be text, got {type(value).__name__}: {value!r}")
    return value.strip() or None


def _required_time(props: Mapping[str, Any], key: str, where: str) -> datetime:
    value = _optional_time(props.get(key), where, key)
    if value is None:
        raise ParseError(where, f"'{key}' is missing")
    return value


def _optional_time(value: Any, where: str, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError(where, f"'{key}' must be an ISO 8601 time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ParseError(where, f"'{key}' is not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        # Without an offset the instant is ambiguous by up to a day's worth of time zones.
        raise ParseError(where, f"'{key}' has no UTC offset: {value!r}")
    return parsed.astimezone(UTC)


def _codes(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ParseError(where, f"'{key}' must be a list of strings, got {value!r}")
    return [v.strip() for v in value if v.strip()]


def _references(value: Any, where: str) -> tuple[AlertReference, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParseError(where, f"'references' must be a list, got {type(value).__name__}")
    refs: list[AlertReference] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ParseError(where, f"references[{i}] must be an object, got {item!r}")
        ref_id = _alert_id(item.get("identifier"), item.get("@id"))
        if ref_id is None:
            raise ParseError(where, f"references[{i}] has neither 'identifier' nor '@id'")
        refs.append(AlertReference(ref_id, _optional_time(item.get("sent"), where, f"references[{i}].sent"),
                                   item.get("sender") if isinstance(item.get("sender"), str) else None))
    return tuple(dict.fromkeys(refs))  # a reference listed twice is one reference


def _strings(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    if isinstance(values, int | float) and not isinstance(values, bool):
        return [str(values)]
    if isinstance(values, Sequence):
        return [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return []


def _numbers(text: str) -> list[float]:
    return [float(m) for m in _NUMBER.findall(text)]
