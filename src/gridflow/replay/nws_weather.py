"""A fake api.weather.gov for weather on the ReplayServer: ``/points/{lat},{lon}``,
``/gridpoints/{id}/{x},{y}/forecast/hourly`` and ``/stations/{id}/observations``.

`real_weather_scenario` serves the real recorded answers (tests/fixtures/nws/*_pynws_fixture.json,
docs/data-formats.md "Weather") unchanged in format and values; only their times are shifted by
whole hours so the vintage is fresh relative to the clock the test gives. Scripted faults:
`fail(kind, times)` (500 problem+json, `times=None` forever), `stale(hours)` (the forecast's
`updateTime` moved back), `null_temperature(period)` and `all_null_temperatures()`.

`demo_weather_scenario` is **SYNTHETIC**: a demo fixture derived from observed GHCN values; not a
real NWS forecast. Its forecast document has the real hourly-forecast layout, but each hour's
temperature is a diurnal curve through the shipped GHCN-Daily observations at BWI (tmin at 06:00,
tmax at 15:00 local, cosine between them) plus a seeded per-day error scaled so its mean absolute
value over the target days is exactly 2.5 F (the size of NWS day-1 temperature forecast errors; docs/data-formats.md).
Its `updateTime` is 06:00 local of the day before the first target day. Dewpoint is the day's
tmin (a common approximation), humidity follows from it (Magnus formula), wind is a constant 5 mph.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridflow.clients.nws_weather import points_path
from gridflow.config import section
from gridflow.provenance import PROJECT_ROOT
from gridflow.replay.server import RecordedRequest, ReplayServer, Reply
from gridflow.sources.weather.ghcn_daily import parse_ghcn_daily
from gridflow.usecases.configs import WeatherConfig, WeatherSite

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "nws"
POINTS_FIXTURE = FIXTURES / "nws_points_pynws_fixture.json"
FORECAST_FIXTURE = FIXTURES / "nws_gridpoints_forecast_hourly_pynws_fixture.json"
OBSERVATIONS_FIXTURE = FIXTURES / "nws_stations_observations_pynws_fixture.json"
GHCN_BWI = PROJECT_ROOT / "data" / "weather" / "USW00093721_BWI_daily_2001_2018.csv"

# The real points fixture is for 30,-85 (grid TAE 58,65) and its observations for station KFLL:
# a test site configured with these coordinates and station gets exactly the recorded answers.
REAL_LATITUDE, REAL_LONGITUDE, REAL_STATION = 30.0, -85.0, "KFLL"
DEMO_MAE_F = 2.5
KINDS = ("points", "forecast", "observations")
Fault = Callable[[str, RecordedRequest], Reply | None]


def _problem(status: int, title: str, detail: str) -> Reply:
    body = {"correlationId": "replay", "title": title, "type": "https://api.weather.gov/problems/UnexpectedProblem",
            "status": status, "detail": detail, "instance": "https://api.weather.gov/requests/replay"}
    return Reply(status, json.dumps(body), {"Content-Type": "application/problem+json"})


@dataclass
class FakeNwsWeather:
    """Handler for the three weather endpoints: `points`, `forecasts`, `observations` map an API
    path to the document served there; `faults` may answer first (in order, None passes)."""

    points: dict[str, dict]
    forecasts: dict[str, dict]
    observations: dict[str, dict]
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)

    def kind(self, path: str) -> str:
        """Which endpoint `path` is (points | forecast | observations)."""
        if path in self.points:
            return "points"
        return "forecast" if path in self.forecasts else "observations"

    def __call__(self, request: RecordedRequest) -> Reply:
        """Answer one request like api.weather.gov would."""
        self.requests.append(request)
        if not request.headers.get("User-Agent", "").strip():
            return _problem(403, "Forbidden", "A User-Agent header is required to access this API.")
        kind = self.kind(request.path)
        for fault in self.faults:
            if (reply := fault(kind, request)) is not None:
                return reply
        documents = {"points": self.points, "forecast": self.forecasts, "observations": self.observations}[kind]
        return Reply(200, json.dumps(documents[request.path], indent=4), {"Content-Type": "application/geo+json"})

    def serve(self, server: ReplayServer) -> FakeNwsWeather:
        """Route every path of this fake on `server`; returns self."""
        for path in [*self.points, *self.forecasts, *self.observations]:
            server.add_handler(path, self)
        return self

    def fail(self, kind: str, times: int | None = 1, status: int = 500) -> FakeNwsWeather:
        """Answer the next `times` requests of `kind` (None: all of them) with `status`."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        left = [times]

        def fault(asked: str, request: RecordedRequest) -> Reply | None:
            if asked != kind or left[0] == 0:
                return None
            if left[0] is not None:
                left[0] -= 1
            return _problem(status, "Unexpected Problem", "An unexpected problem has occurred.")

        self.faults.append(fault)
        return self

    def stale(self, hours: float) -> FakeNwsWeather:
        """Move every forecast's `updateTime` (and generatedAt) `hours` back: a grid that stopped updating."""
        for doc in self.forecasts.values():
            props = doc["properties"]
            for key in ("updateTime", "generatedAt", "updated"):
                if props.get(key):
                    props[key] = (datetime.fromisoformat(props[key]) - timedelta(hours=hours)).isoformat()
        return self

    def null_temperature(self, period: int = 0) -> FakeNwsWeather:
        """Make period number `period` (0-based) of every forecast answer a null temperature."""
        for doc in self.forecasts.values():
            doc["properties"]["periods"][period]["temperature"] = None
        return self

    def all_null_temperatures(self) -> FakeNwsWeather:
        """Null every temperature of every forecast (a broken vintage)."""
        for doc in self.forecasts.values():
            for period in doc["properties"]["periods"]:
                period["temperature"] = None
        return self

    def new_vintage(self, hours: float = 1.0) -> FakeNwsWeather:
        """Move every forecast's `updateTime` `hours` forward (the next forecaster update)."""
        return self.stale(-hours)


def _shift(value: str, delta: timedelta) -> str:
    return (datetime.fromisoformat(value) + delta).isoformat()


def _hour_delta(old: str, target: datetime) -> timedelta:
    # Whole hours, so period boundaries stay on the hour.
    seconds = (target - datetime.fromisoformat(old)).total_seconds()
    return timedelta(hours=math.floor(seconds / 3600))


def shifted_forecast(doc: dict[str, Any], update_time: datetime) -> dict[str, Any]:
    """A copy of a real forecast document with every time moved so `updateTime` is near `update_time`."""
    out = copy.deepcopy(doc)
    props = out["properties"]
    delta = _hour_delta(props["updateTime"], update_time)
    for key in ("updated", "generatedAt", "updateTime"):
        if props.get(key):
            props[key] = _shift(props[key], delta)
    if props.get("validTimes"):
        start, _, duration = props["validTimes"].partition("/")
        props["validTimes"] = f"{_shift(start, delta)}/{duration}"
    for period in props["periods"]:
        period["startTime"] = _shift(period["startTime"], delta)
        period["endTime"] = _shift(period["endTime"], delta)
    return out


def shifted_observations(doc: dict[str, Any], latest: datetime) -> dict[str, Any]:
    """A copy of a real observations document moved so its newest timestamp is near `latest`."""
    out = copy.deepcopy(doc)
    newest = max(f["properties"]["timestamp"] for f in out["features"])
    delta = _hour_delta(newest, latest)
    for feature in out["features"]:
        props = feature["properties"]
        props["timestamp"] = _shift(props["timestamp"], delta)
        feature["id"] = props["@id"] = f"{props['station']}/observations/{props['timestamp']}"
    return out


def real_weather_scenario(latitude: float = REAL_LATITUDE, longitude: float = REAL_LONGITUDE,
                          station: str = REAL_STATION, now_utc: datetime | None = None) -> FakeNwsWeather:
    """The recorded points, forecast and observations answers, times shifted so the vintage is one
    hour before `now_utc` (default: now) and the observations end two hours before it."""
    now = pd.Timestamp(now_utc or datetime.now().astimezone()).tz_convert("UTC").to_pydatetime()
    points = json.loads(POINTS_FIXTURE.read_text())
    props = points["properties"]
    forecast_path = f"/gridpoints/{props['gridId']}/{props['gridX']},{props['gridY']}/forecast/hourly"
    forecast = shifted_forecast(json.loads(FORECAST_FIXTURE.read_text()), now - timedelta(hours=1))
    observations = shifted_observations(json.loads(OBSERVATIONS_FIXTURE.read_text()), now - timedelta(hours=2))
    return FakeNwsWeather({points_path(latitude, longitude): points}, {forecast_path: forecast},
                          {f"/stations/{station}/observations": observations})


# ---- the synthetic demo scenario --------------------------------------------------------------

def _site(site: WeatherSite | str) -> WeatherSite:
    if isinstance(site, WeatherSite):
        return site
    config = section("weather", WeatherConfig)
    found = [s for s in config.sites if s.site == site]
    if not found:
        raise ValueError(f"no weather site {site!r} configured ({[s.site for s in config.sites]})")
    return found[0]


def diurnal_f(local_hours: np.ndarray, tmin: np.ndarray, tmax: np.ndarray, tmax_before: np.ndarray,
              tmin_after: np.ndarray) -> np.ndarray:
    """Temperature at local clock hour h of a day: cosine from tmax(D-1) at 15:00 to tmin(D) at 06:00,
    up to tmax(D) at 15:00, down towards tmin(D+1) at 06:00 next day."""
    h = np.asarray(local_hours, dtype="float64")
    rising = tmin + (tmax - tmin) * (1 - np.cos(np.pi * (h - 6) / 9)) / 2
    falling = tmax + (tmin_after - tmax) * (1 - np.cos(np.pi * (h - 15) / 15)) / 2
    night = tmax_before + (tmin - tmax_before) * (1 - np.cos(np.pi * (h + 9) / 15)) / 2
    return np.where(h < 6, night, np.where(h <= 15, rising, falling))


def _humidity(temp_c: np.ndarray, dew_c: np.ndarray) -> np.ndarray:
    def vapour(t: np.ndarray) -> np.ndarray:
        return np.exp(17.625 * t / (243.04 + t))
    return np.clip(100 * vapour(np.minimum(dew_c, temp_c)) / vapour(temp_c), 0, 100)


def demo_forecast_document(site: WeatherSite, first_date: date, last_date: date, seed: int = 20180801,
                           ghcn_path: Path = GHCN_BWI) -> dict[str, Any]:
    """SYNTHETIC hourly forecast (real NWS layout) for `first_date`..`last_date` local, issued
    (updateTime) at 06:00 local the day before; temperatures derived from GHCN observations."""
    tz = site.tz
    daily = parse_ghcn_daily(ghcn_path, site.site).frame.set_index("local_date")
    update_local = pd.Timestamp(first_date - timedelta(days=1)).replace(hour=6).tz_localize(tz)
    start = update_local + pd.Timedelta(hours=1)
    end = pd.Timestamp(last_date + timedelta(days=1)).tz_localize(tz)
    hours = pd.date_range(start.tz_convert("UTC"), end.tz_convert("UTC"), freq="h", inclusive="left").tz_convert(tz)
    days = hours.tz_localize(None).normalize()

    def value(column: str, offset: int) -> np.ndarray:
        wanted = days + pd.Timedelta(days=offset)
        values = daily[column].reindex(wanted).to_numpy(dtype="float64")
        if np.isnan(values).any():
            missing = sorted({str(d.date()) for d, v in zip(wanted, values, strict=True) if np.isnan(v)})
            raise ValueError(f"GHCN {column} missing for {missing}: cannot derive the demo forecast")
        return values

    tmin, tmax = value("tmin_f", 0), value("tmax_f", 0)
    temps = diurnal_f(hours.hour + hours.minute / 60, tmin, tmax, value("tmax_f", -1), value("tmin_f", 1))
    # One error per local day (a forecast misses a whole day's level), scaled so the target days'
    # mean absolute error is exactly 2.5 F; the rest of the issue day gets its own 2.5 F miss.
    unique_days = pd.Index(days.unique())
    errors = np.random.default_rng(seed).normal(0.0, 1.0, len(unique_days))
    target = np.asarray(unique_days >= pd.Timestamp(first_date))
    errors[target] *= DEMO_MAE_F / np.mean(np.abs(errors[target]))
    errors[~target] = DEMO_MAE_F * np.sign(errors[~target])
    temps = temps + errors[unique_days.get_indexer(days)]
    dew_c = (tmin - 32) * 5 / 9
    temp_c = (temps - 32) * 5 / 9
    humidity = _humidity(temp_c, dew_c)
    template = json.loads(FORECAST_FIXTURE.read_text())
    periods = []
    for i, (t0, temp, dew, rh) in enumerate(zip(hours, temps, dew_c, humidity, strict=True), start=1):
        period = copy.deepcopy(template["properties"]["periods"][0])
        day = 6 <= t0.hour < 18
        period.update({
            "number": i, "startTime": t0.isoformat(), "endTime": (t0 + pd.Timedelta(hours=1)).isoformat(),
            "isDaytime": day, "temperature": round(float(temp)), "temperatureUnit": "F",
            "dewpoint": {"unitCode": "wmoUnit:degC", "value": round(float(dew), 1)},
            "relativeHumidity": {"unitCode": "wmoUnit:percent", "value": round(float(rh))},
            "windSpeed": "5 mph", "windDirection": "S", "shortForecast": "Synthetic (derived from GHCN)",
            "icon": f"https://api.weather.gov/icons/land/{'day' if day else 'night'}/few?size=small",
        })
        periods.append(period)
    props = template["properties"]
    issued = update_local.isoformat()
    props.update({"updated": issued, "updateTime": issued,
                  "generatedAt": (update_local + pd.Timedelta(hours=1)).tz_convert("UTC").isoformat(),
                  "validTimes": f"{start.tz_convert('UTC').isoformat()}/PT{len(periods)}H", "periods": periods})
    template["geometry"] = {"type": "Polygon", "coordinates": [[[site.longitude, site.latitude]] * 4]}
    return template


def demo_observations_document(site: WeatherSite, first_date: date, ghcn_path: Path = GHCN_BWI) -> dict[str, Any]:
    """SYNTHETIC station observations (real layout) at hh:54 local from midnight to 08:54 of the day
    before `first_date`: the morning already observed at the 09:00 issue, on the same diurnal curve
    as the forecast, without error (it is an observation)."""
    daily = parse_ghcn_daily(ghcn_path, site.site).frame.set_index("local_date")
    day = pd.Timestamp(first_date - timedelta(days=1))
    times = pd.date_range(day + pd.Timedelta(minutes=54), periods=9, freq="h").tz_localize(site.tz)

    def at(offset: int, column: str) -> float:
        return float(daily.loc[day + pd.Timedelta(days=offset), column])

    temps_f = diurnal_f(times.hour + times.minute / 60, at(0, "tmin_f"), at(0, "tmax_f"), at(-1, "tmax_f"),
                        at(1, "tmin_f"))
    template = json.loads(OBSERVATIONS_FIXTURE.read_text())["features"][0]
    station_url = f"https://api.weather.gov/stations/{site.station}"
    features = []
    for t0, temp_f in zip(times.tz_convert("UTC"), temps_f, strict=True):
        feature = copy.deepcopy(template)
        props = feature["properties"]
        props.update({"station": station_url, "timestamp": t0.isoformat(), "rawMessage": "",
                      "textDescription": "Synthetic (derived from GHCN)"})
        props["temperature"] = {"value": round((float(temp_f) - 32) * 5 / 9, 1), "unitCode": "wmoUnit:degC",
                                "qualityControl": "V"}
        feature["id"] = props["@id"] = f"{station_url}/observations/{props['timestamp']}"
        feature["geometry"] = {"type": "Point", "coordinates": [site.longitude, site.latitude]}
        features.append(feature)
    return {"@context": [], "type": "FeatureCollection", "features": features[::-1]}  # newest first, as NWS


def demo_weather_scenario(site: WeatherSite | str, first_date: date, last_date: date,
                          seed: int = 20180801) -> FakeNwsWeather:
    """SYNTHETIC demo NWS: points for the site (grid 'DEMO' 1,1), the GHCN-derived forecast of
    `first_date`..`last_date`, and the station's observations of the morning before. Ingest it with
    a clock at or after the vintage (06:00 local the day before `first_date`), e.g. ``now_utc``
    09:00 local that day."""
    site = _site(site)
    points = json.loads(POINTS_FIXTURE.read_text())
    props = points["properties"]
    grid_path = "/gridpoints/DEMO/1,1"
    props.update({"gridId": "DEMO", "gridX": 1, "gridY": 1, "cwa": "DEMO", "timeZone": site.tz,
                  "forecastHourly": f"https://api.weather.gov{grid_path}/forecast/hourly",
                  "forecast": f"https://api.weather.gov{grid_path}/forecast",
                  "forecastGridData": f"https://api.weather.gov{grid_path}"})
    points["geometry"]["coordinates"] = [site.longitude, site.latitude]
    observations = demo_observations_document(site, first_date)
    return FakeNwsWeather({points_path(site.latitude, site.longitude): points},
                          {f"{grid_path}/forecast/hourly": demo_forecast_document(site, first_date, last_date, seed)},
                          {f"/stations/{site.station}/observations": observations})
