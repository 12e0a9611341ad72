"""What people see of an issued forecast: table rows, the latest issue, text lines, markdown with
the embedded plot, and the PNG itself."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from gridflow.issuing import plots, report
from gridflow.issuing.publish import artifact_key

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_table_rows_of_the_fall_back_day(pjme_week, make_issued):
    issued = make_issued(pjme_week, "2017-11-05", "5", bias=0.02)
    issued.loc[issued.index[-3:], "actual_mw"] = np.nan  # not landed yet
    rows = report.table_rows(issued)
    assert len(rows) == 25
    assert list(rows[0]) == list(report.HEADER)
    assert [r["local hour"][-5:] for r in rows[:3]] == ["00:00", "01:00", "01:00"]
    assert [r["DST"] for r in rows[:3]] == ["yes", "yes", "no"]
    first = rows[0]
    assert first["P10 MW"] <= first["P50 MW"] <= first["P90 MW"]
    assert first["actual MW"] == round(pjme_week.loc[pjme_week["interval_start_local"] == "2017-11-05 00:00",
                                                     "load_mw"].iloc[0])
    assert rows[-1]["actual MW"] is None
    assert first["model"] == "load_forecast v5" and first["weather vintage (UTC)"] == "-"
    lines = report.text_table(rows, limit=4)
    assert len(lines) == 5 and lines[0].startswith("local hour")
    assert f"{first['P50 MW']:,}" in lines[1]


def test_latest_issue_picks_the_newest_issue_time_then_the_newest_version(pjme_week, make_issued):
    old = make_issued(pjme_week, "2017-11-04", "5", bias=0.02, issued_at="2017-11-03 13:00")
    v5 = make_issued(pjme_week, "2017-11-04", "5", bias=0.01, issued_at="2017-11-03 14:00")
    v6 = make_issued(pjme_week, "2017-11-04", "6", bias=0.00, issued_at="2017-11-03 14:00").assign(
        created_at=pd.Timestamp("2017-11-03 15:00", tz="UTC"))
    latest = report.latest_issue(pd.concat([old, v6, v5], ignore_index=True))
    assert len(latest) == 24 and set(latest["model_version"]) == {"6"}
    assert latest["target_start_utc"].is_monotonic_increasing


def test_plot_writes_a_png_and_markdown_embeds_it(pjme_week, make_issued, tmp_path):
    issued = make_issued(pjme_week, "2017-11-05", "5", bias=0.02)
    history = pjme_week[pjme_week["interval_start_local"] < "2017-11-05"]
    png = plots.forecast_png(issued, history, "PJME 2017-11-05")
    assert png.startswith(PNG_MAGIC) and 5_000 < len(png) < 200_000
    path = plots.write_png(png, tmp_path / "forecasts" / "PJME" / "2017-11-05.png")
    assert path.read_bytes() == png
    text = report.markdown("PJME 2017-11-05", ["line one", report.summary_line(issued)], png)
    assert "- line one" in text and "peak P50" in text
    encoded = text.split("data:image/png;base64,")[1].split(")")[0]
    assert base64.b64decode(encoded) == png


def test_artifact_keys_use_only_allowed_characters():
    assert artifact_key("PJME") == "load-forecast-pjme"
    assert artifact_key("ERCOT_FAR_WEST") == "load-forecast-ercot-far-west"
