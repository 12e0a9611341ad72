"""A fake ERCOT MIS on the ReplayServer: real-format listings and ZIP downloads built from fixtures."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from gridflow.clients.ercot_mis import DOWNLOAD_PATH, HTML_LISTING_PATH, JSON_LISTING_PATH
from gridflow.frames import ERCOT_TZ
from gridflow.provenance import PROJECT_ROOT
from gridflow.replay import ReplayServer, Reply

# The real report 13101 CSV (OperDay 11/17/2023) every fake document is derived from.
REAL_LOAD_CSV = (PROJECT_ROOT / "data" / "replay"
                 / "ercot_np6-345-cd_actual_system_load_by_weather_zone_cdr.00013101.20231118.csv")
# Real yearly DAM hub and load-zone price workbooks (report 13060), zipped as ERCOT serves them.
YEARLY_DAM_ARCHIVES = PROJECT_ROOT / "data" / "prices" / "ercot_dam"
YEARLY_DAM_REPORT = 13060
# Publish stamps of the shipped years (Central). Assumed, not recorded: a finished year the next
# morning, 2025 the day after its last delivery day (Dec 13). Only their order matters to ingestion.
YEARLY_DAM_PUBLISHED = {2021: datetime(2022, 1, 1, 8, 3, 3, 414000), 2022: datetime(2023, 1, 1, 8, 3, 4, 120000),
                        2025: datetime(2025, 12, 14, 8, 3, 2, 777000)}


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deflated ZIP holding `members`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class FakeDoc:
    """One document of the fake listing: its id, constructed name, publish time and download replies."""

    doc_id: str
    name: str  # constructed name of the _csv.zip
    published_local: datetime  # Central wall clock
    replies: list[Reply] = field(default_factory=list)

    @property
    def report_type_id(self) -> int:
        """The report type id (RTID) inside the constructed name."""
        return int(self.name.split(".")[1])

    def listing_entry(self) -> dict:
        """This document as one entry of the JSON listing (docs/data-formats.md §1.2)."""
        stamp = pd.Timestamp(self.published_local).tz_localize(ERCOT_TZ)
        return {"Document": {
            "DocID": self.doc_id, "ConstructedName": self.name, "FriendlyName": self.name.split(".")[-2],
            "PublishDate": stamp.isoformat(), "ReportName": "test", "ReportTypeID": str(self.report_type_id),
            "Extension": "zip", "ContentSize": "1024",
        }}


def load_doc(doc_id: str, oper_day: datetime, scale: float = 1.0, csv: bytes | None = None,
             published: datetime | None = None, body: bytes | None = None) -> FakeDoc:
    """A 13101 document for `oper_day`: the real CSV with OperDay shifted and values scaled (unless given)."""
    published = published or (oper_day + timedelta(days=1, hours=5, minutes=50))
    stamp = published.strftime("%Y%m%d.%H%M%S")
    name = f"cdr.00013101.0000000000000000.{stamp}{published.microsecond // 1000:03d}.ACTUALSYSLOADWZNP6345_csv.zip"
    if body is None:
        member = f"cdr.00013101.0000000000000000.{stamp}.ACTUALSYSLOADWZNP6345.csv"
        body = zip_bytes({member: csv if csv is not None else shifted_load_csv(oper_day, scale)})
    return FakeDoc(doc_id, name, published, [Reply(200, body, {"Content-Type": "application/zip"})])


def shifted_load_csv(oper_day: datetime, scale: float = 1.0) -> bytes:
    """The real 13101 CSV moved to `oper_day`, every MW value times `scale` (TOTAL stays the zone sum)."""
    frame = pd.read_csv(REAL_LOAD_CSV, dtype=str)
    frame["OperDay"] = oper_day.strftime("%m/%d/%Y")
    for column in frame.columns[2:-1]:
        frame[column] = [f"{float(v) * scale:.2f}" for v in frame[column]]
    return frame.to_csv(index=False).encode()


def yearly_dam_doc(doc_id: str, year: int, body: bytes | None = None, published: datetime | None = None) -> FakeDoc:
    """A 13060 document for `year`: the shipped ZIP (unless `body` is given) under ERCOT's constructed name."""
    published = published or YEARLY_DAM_PUBLISHED.get(year) or datetime(year + 1, 1, 1, 8, 3, 3)
    stamp = f"{published:%Y%m%d.%H%M%S}{published.microsecond // 1000:03d}"
    name = f"rpt.00013060.0000000000000000.{stamp}.DAMLZHBSPP_{year}.zip"
    if body is None:
        body = (YEARLY_DAM_ARCHIVES / f"rpt.00013060.0000000000000000.DAMLZHBSPP_{year}.zip").read_bytes()
    return FakeDoc(doc_id, name, published, [Reply(200, body, {"Content-Type": "application/zip"})])


def yearly_dam_docs(years: tuple[int, ...] = tuple(YEARLY_DAM_PUBLISHED)) -> list[FakeDoc]:
    """The shipped 13060 years as documents (ids 1306000<year>); ERCOT lists each year once, no xml twin."""
    return [yearly_dam_doc(f"1306000{year}", year) for year in years]


def serve_mis(server: ReplayServer, report_type_id: int, docs: list[FakeDoc], with_xml_twins: bool = True) -> None:
    """Route the JSON listing of `docs` (newest first, with xml twins) and each document's download."""
    entries = []
    for doc in sorted(docs, key=lambda d: d.published_local, reverse=True):
        entries.append(doc.listing_entry())
        if with_xml_twins:
            twin = doc.listing_entry()
            twin["Document"].update(DocID=f"{doc.doc_id}9", ConstructedName=doc.name.replace("_csv.zip", "_xml.zip"),
                                    FriendlyName=doc.name.split(".")[-2].replace("_csv", "_xml"))
            entries.append(twin)
    listing = json.dumps({"ListDocsByRptTypeRes": {"DocumentList": entries}})
    server.add(JSON_LISTING_PATH, Reply(200, listing, {"Content-Type": "application/json"}),
               query={"reportTypeId": str(report_type_id)})
    for doc in docs:
        server.add(DOWNLOAD_PATH, *doc.replies, query={"doclookupId": doc.doc_id})


def serve_html_listing(server: ReplayServer, report_type_id: int, page: bytes) -> None:
    """Route the HTML listing page."""
    server.add(HTML_LISTING_PATH, Reply(200, page, {"Content-Type": "text/html"}),
               query={"reportTypeId": str(report_type_id)})
