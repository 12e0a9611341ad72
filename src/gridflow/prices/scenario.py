"""Demo and test scenario: a period of real day-ahead prices, rescaled and re-dated to just after the data ends.

`shifted_prices(prices, "2022-03-14", "2022-04-01", factor=3, offset=50)` makes the monitor's window a
price regime the champion never saw (a gas-price shock), on the real shape of those weeks.
"""

from __future__ import annotations

import pandas as pd

from gridflow.prices import issue_features as pf


def shifted_prices(
    prices: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp, tz: str,
    factor: float = 3.0, offset: float = 50.0,
) -> pd.DataFrame:
    """Rows of the market_price frame `prices` with local time in [start, end), price x `factor` +
    `offset`, moved by a whole number of days so the period starts the day after the last stored one.

    Whole days keep each row's local hour (lags stay aligned); local time and the DST flag are
    recomputed in `tz` for the new instants."""
    local = pd.to_datetime(prices[pf.LOCAL])
    period = prices[(local >= pd.Timestamp(start)) & (local < pd.Timestamp(end))]
    if period.empty:
        raise ValueError(f"no prices between {start} and {end} (local)")
    days = (local.max().normalize() - pd.to_datetime(period[pf.LOCAL]).min().normalize()).days + 1
    utc = (period[pf.UTC] + pd.Timedelta(days=days)).reset_index(drop=True)
    local_new = utc.dt.tz_convert(tz)
    out = period.reset_index(drop=True).assign(**{
        pf.UTC: utc,
        pf.LOCAL: local_new.dt.tz_localize(None),
        pf.IS_DST: [bool(ts.dst()) for ts in local_new],
        pf.PRICE: period[pf.PRICE].to_numpy(dtype="float64") * factor + offset,
    })
    return out[list(prices.columns)]
