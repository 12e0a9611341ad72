"""ERCOT MIS and PJM Data Miner 2 stand-ins on one ReplayServer, for the offline demo.

ERCOT answers with documents derived from the real report-13101 download (OperDay shifted) and
with the shipped real yearly DAM hub and load-zone workbooks (report 13060: 2021, 2022, 2025);
PJM answers with hourly load built from the documented `hrl_load_metered` fields (constructed:
no real PJM payload of that feed is shipped) and with the real PJM-RTO day-ahead LMPs of 2025 as
`da_hrl_lmps` (the shipped Data Miner 2 CSV export, as API items). Both speak the real URL layout,
so the production clients run unchanged against them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from gridflow.replay.ercot_mis import YEARLY_DAM_REPORT, load_doc, serve_mis, yearly_dam_docs
from gridflow.replay.pjm_dataminer import FakeDataMiner, da_lmps_from_export, hourly_load_items
from gridflow.replay.server import ReplayServer

ERCOT_ACTUAL_LOAD_REPORT = 13101
PJM_ZONES = {"AE": {"AECO": 800.0}, "DPL": {"DPLCO": 1600.0, "EASTON": 20.0}}
PJM_START, PJM_HOURS = "2023-10-29T04:00:00", 7 * 24
# The shipped export's year; one chunk, as the archived feed must stay inside a calendar year.
PJM_DA_START, PJM_DA_END, PJM_DA_CHUNK_DAYS = "2025-01-01", "2026-01-01", 365


@dataclass(frozen=True)
class OfflineSources:
    """Base URLs of the replayed services and what to ask them for."""

    ercot_base_url: str
    pjm_base_url: str
    pjm_zones: list[str]
    pjm_start: str
    pjm_end: str
    pjm_da_feed: str = "da_hrl_lmps"
    pjm_da_start: str = PJM_DA_START
    pjm_da_end: str = PJM_DA_END
    pjm_da_chunk_days: int = PJM_DA_CHUNK_DAYS


@contextmanager
def offline_sources(pjm_api_key: str) -> Iterator[OfflineSources]:
    """Serve three ERCOT actual-load documents, a week of PJM metered load and PJM-RTO's 2025
    day-ahead LMPs on 127.0.0.1."""
    docs = [load_doc(f"90000{i}", datetime(2023, 11, day)) for i, day in enumerate((15, 16, 17))]
    pjm = FakeDataMiner("hrl_load_metered", hourly_load_items(PJM_ZONES, PJM_START, PJM_HOURS), pjm_api_key)
    with ReplayServer() as server:
        serve_mis(server, ERCOT_ACTUAL_LOAD_REPORT, docs)
        # Ingest these with report "dam_hub_prices_yearly"; ERCOT lists each year once (no xml twin).
        serve_mis(server, YEARLY_DAM_REPORT, yearly_dam_docs(), with_xml_twins=False)
        server.add_handler("/api/v1/hrl_load_metered", pjm)
        server.add_handler("/api/v1/da_hrl_lmps", da_lmps_from_export(pjm_api_key))
        yield OfflineSources(
            ercot_base_url=server.base_url,
            pjm_base_url=f"{server.base_url}/api/v1",
            pjm_zones=sorted(PJM_ZONES),
            pjm_start="2023-10-29",
            pjm_end="2023-11-04",
        )
