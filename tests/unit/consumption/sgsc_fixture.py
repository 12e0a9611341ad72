"""Shared by the consumption tests: four real SGSC households (Ausgrid, NSW) cut from the shipped
data/meters/sgsc file (scripts/convert_sgsc.py), Sydney days 2013-02-25 .. 2013-04-07 (the last one
the DST fall-back, 50 half-hours), one of them joining on 2013-03-18; columns meter_id, UTC start, kWh."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gridflow.consumption.readings import consumption_frame

FIXTURE = Path(__file__).parent / "fixtures" / "sgsc_four_households_2013_03.csv"
TZ = "Australia/Sydney"
LATE_JOINER = "SGSC-10014678"


def sgsc_readings() -> pd.DataFrame:
    """The fixture as a canonical meter frame."""
    raw = pd.read_csv(FIXTURE)
    return consumption_frame(raw["meter_id"], raw["interval_start_utc"], raw["kwh"], TZ)
