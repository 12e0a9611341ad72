"""Flow run names that say what a run is about (pure): the `flow_run_name` callables in flows/
gather the facts, these functions word them, short and deterministic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

# The UI's run list cuts long names; the facts that tell runs apart come first.
MAX_PART = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


def name_part(text: object, limit: int = MAX_PART, lower: bool = False) -> str:
    """`text` as one dash-separated part of a run name (at most `limit` characters); ids such as
    models and zones keep their case, prose (`lower`) does not."""
    part = _UNSAFE.sub("-", str(text).lower() if lower else str(text)).strip("-.")
    return part[:limit].rstrip("-.") or "unnamed"


def listed(items: Sequence[object] | None, default: str, shown: int = 3, lower: bool = False) -> str:
    """Up to `shown` items joined by dashes, `+N` for the rest; `default` when there are none."""
    if not items:
        return default
    head = "-".join(name_part(item, 16, lower) for item in items[:shown])
    return head + (f"+{len(items) - shown}" if len(items) > shown else "")


def trigger_kind(trigger: str | None) -> str:
    """What started a retrain, from its `trigger` parameter: `drift: share 60%` -> `drift`."""
    head = (trigger or "manual").split(":", 1)[0].strip()
    return name_part(head.split()[0] if head else "manual", 16, lower=True)


def retrain_name(model: str, trigger: str | None) -> str:
    """`retrain-load_forecast-drift`: the model and what started the run."""
    return f"retrain-{name_part(model, 60)}-{trigger_kind(trigger)}"


def meter_ingest_name(folder: str, files: int | None) -> str:
    """`ingest-smart-meter-incoming-12-files`: the drop folder's name and the files found in it."""
    count = "unreadable" if files is None else f"{files}-file{'' if files == 1 else 's'}"
    return f"ingest-smart-meter-{name_part(PurePath(folder).name or folder)}-{count}"


def alerts_poll_name(areas: Sequence[str] | None) -> str:
    """`poll-weather-alerts-TX-LA`: the areas polled."""
    return f"poll-weather-alerts-{listed(areas, 'all-areas', shown=4)}"


def storm_name(event: str | None, area_desc: str | None, version: int | None, message_type: str | None = None) -> str:
    """`storm-hurricane-warning-harris-tx+2-v3`: the warning, its first area (+ how many more) and
    version; a Cancel says so at the end."""
    areas = [a.strip() for a in (area_desc or "").split(";") if a.strip()]
    where = listed(areas, "no-area", shown=1, lower=True)
    tail = "-cancel" if (message_type or "").lower() == "cancel" else ""
    number = "?" if version is None else version
    return f"storm-{name_part(event or 'alert', 32, lower=True)}-{where}-v{number}{tail}"


def storm_fallback_name(alert_id: str) -> str:
    """The name of a storm run whose alert is not in the warehouse: the id's distinctive tail."""
    return f"storm-response-unknown-alert-{name_part(alert_id[-24:] or 'none', 24, lower=True)}"


def weather_ingest_name(sites: Sequence[str] | None) -> str:
    """`ingest-weather-KIAH-KDFW`: the sites loaded (`all-sites` for the configured ones)."""
    return f"ingest-weather-{listed(sites, 'all-sites')}"


def issue_forecast_name(zones: Sequence[str] | None, for_date: str | None) -> str:
    """`issue-load-forecast-2024-07-02-PJME`: the day issued (`next-day` by default) and the zones."""
    return f"issue-load-forecast-{name_part(for_date or 'next-day', 16)}-{listed(zones, 'all-zones')}"


def inspection_name(asset_id: str | None) -> str:
    """`plan-inspection-after-TX-0042` for a degraded unit's trigger, `plan-inspection-manual` else."""
    return f"plan-inspection-after-{name_part(asset_id)}" if asset_id else "plan-inspection-manual"


def pjm_ingest_name(feed: str, zones: Sequence[str] | None) -> str:
    """`ingest-pjm-hrl_load_metered-PJME`: the feed and its zones."""
    return f"ingest-pjm-{name_part(feed)}-{listed(zones, 'all-zones')}"
