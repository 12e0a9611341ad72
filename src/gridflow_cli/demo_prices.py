"""The demo's price step: ERCOT's real yearly DAM workbooks (report 13060, 2021, 2022 and 2025) from
a local replay of MIS through the ERCOT source, then `price_forecast` retrained through its gate on
the deployment, as the weekly schedule would run it."""

from __future__ import annotations

from collections.abc import Callable

RETRAIN_DEPLOYMENT = "price-forecast"


def price_scenario(echo: Callable[[str], None], on_worker: bool = False) -> None:
    """Ingest the shipped yearly workbooks (a re-run skips them), retrain price_forecast, print its decision."""
    from flows.ingest_ercot import ingest_ercot
    from flows.retrain import retrain
    from gridflow.replay.offline_sources import offline_sources
    from gridflow_cli.demo_runs import run_flow
    from gridflow_cli.shell import print_decision

    # The replay's PJM half checks a key; nothing here talks to PJM.
    with offline_sources(pjm_api_key="offline-demo-key") as replay:
        ingested = run_flow(ingest_ercot, "dam-hub-prices-yearly", on_worker=on_worker,
                            report="dam_hub_prices_yearly", base_url=replay.ercot_base_url).result
    echo(f"    ERCOT report 13060, yearly DAM hub and load-zone prices: {ingested.describe()}")
    retrained = run_flow(retrain, RETRAIN_DEPLOYMENT, on_worker=on_worker, model="price_forecast",
                         trigger="demo").result
    print_decision(retrained)
