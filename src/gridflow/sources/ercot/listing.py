"""ERCOT MIS document listings (JSON `IceDocListJsonWS` and HTML `GetReports.do`) -> `Document` values.

Structure per docs/data-formats.md §1.2. The HTML parser is tested on a real page; the JSON
shape is inferred from independent clients (gridstatus and others): no real payload was found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import pandas as pd

from gridflow.errors import ParseError
from gridflow.frames import ERCOT_TZ

# cdr.<8-digit RTID>.0000000000000000.<YYYYMMDD>.<HHMMSS[mmm]>.<MNEMONIC>_<csv|xml>.zip; yearly archives
# (e.g. 13060) start with "rpt." and end <MNEMONIC>_<YYYY>.zip.
_CONSTRUCTED = re.compile(
    r"^(?:cdr|rpt)\.(?P<rtid>\d{8})\.\d+\.(?P<date>\d{8})\.(?P<time>\d{6}(?:\d{3})?)\.(?P<friendly>.+?)\.zip$",
    re.IGNORECASE,
)
_DOC_ID = re.compile(r"[?&]doclookupId=(\d+)")


@dataclass(frozen=True)
class Document:
    """One published document of a report."""

    doc_id: str
    report_type_id: int
    constructed_name: str
    friendly_name: str
    published_at_utc: datetime

    @property
    def is_csv(self) -> bool:
        """True for the CSV publication (each publication is listed twice: csv and xml)."""
        return self.friendly_name.lower().endswith("_csv") or "_csv." in self.constructed_name.lower()


def parse_json_listing(payload: bytes | str, source: str) -> list[Document]:
    """Documents of an `IceDocListJsonWS?reportTypeId=<id>` answer, in listing order."""
    try:
        data = json.loads(payload)
        entries = data["ListDocsByRptTypeRes"]["DocumentList"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(source, f"not an ERCOT JSON document list ({type(exc).__name__}: {exc})") from None
    if isinstance(entries, dict):  # a one-document list may come as a bare object
        entries = [entries]
    documents = []
    for position, entry in enumerate(entries or []):
        doc = entry.get("Document", entry) if isinstance(entry, dict) else None
        try:
            friendly = str(doc["FriendlyName"])
            documents.append(Document(
                doc_id=str(doc["DocID"]),
                report_type_id=int(doc["ReportTypeID"]),
                constructed_name=str(doc["ConstructedName"]),
                friendly_name=friendly,
                published_at_utc=_json_publish_time(str(doc["PublishDate"]), friendly),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(source, f"document #{position + 1} of the list is malformed: {exc!r}") from None
    return documents


def _json_publish_time(text: str, friendly: str) -> datetime:
    # gridstatus found ERCOT sending a wrong offset during the repeated fall-back hour (files
    # marked "xhr"): trust the wall clock there and take the standard-time reading.
    stamp = pd.Timestamp(text)
    if stamp.tzinfo is None or "xhr" in friendly.lower():
        stamp = stamp.tz_localize(None).tz_localize(ERCOT_TZ, ambiguous="xhr" not in friendly.lower())
    return stamp.tz_convert("UTC").to_pydatetime()


def parse_html_listing(page: bytes | str, source: str) -> list[Document]:
    """Documents of a `GetReports.do?reportTypeId=<id>` page (newest first, as ERCOT lists them)."""
    text = page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page
    parser = _ListingParser()
    parser.feed(text)
    if not parser.rows and "labelOptional_ind" not in text:
        raise ParseError(source, "not an ERCOT MIS listing page (no document table)")
    documents = []
    for name, href in parser.rows:
        match = _DOC_ID.search(href or "")
        if match is None:
            raise ParseError(source, f"listing row {name!r} has no doclookupId link")
        documents.append(document_from_name(match.group(1), name, source))
    return documents


def document_from_name(doc_id: str, constructed_name: str, source: str = "listing") -> Document:
    """A Document from a constructed name: the name carries the RTID and the publish time (Central)."""
    match = _CONSTRUCTED.match(constructed_name.strip())
    if match is None:
        raise ParseError(source, f"unexpected document name {constructed_name!r}")
    clock = match["time"]
    local = pd.Timestamp(datetime.strptime(match["date"] + clock[:6], "%Y%m%d%H%M%S"))
    if len(clock) == 9:
        local += pd.Timedelta(milliseconds=int(clock[6:]))
    # The name has no DST marker; in the repeated hour we assume daylight time (the first one).
    published = local.tz_localize(ERCOT_TZ, ambiguous=True, nonexistent="shift_forward").tz_convert(UTC)
    return Document(
        doc_id=doc_id,
        report_type_id=int(match["rtid"]),
        constructed_name=constructed_name.strip(),
        friendly_name=match["friendly"],
        published_at_utc=published.to_pydatetime(),
    )


class _ListingParser(HTMLParser):
    """Collects (filename, download href) per `<tr>` whose first cell has class labelOptional_ind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, str | None]] = []
        self._in_name = False
        self._name: list[str] = []
        self._current: str | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self._flush()
        elif tag == "td" and "labelOptional_ind" in (attributes.get("class") or "").split():
            self._in_name, self._name = True, []
        elif tag == "a" and self._current is not None and self._href is None:
            href = attributes.get("href") or ""
            if "doclookupId" in href:
                self._href = href

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._in_name:
            self._in_name = False
            self._current = "".join(self._name).strip()
        elif tag == "table":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self._name.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        if self._current:
            self.rows.append((self._current, self._href))
        self._current, self._href = None, None
