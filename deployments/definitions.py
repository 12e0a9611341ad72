"""Every gridflow deployment: which flow, on what schedule or trigger, with which parameters, on
which work queue and with which concurrency limit.

`gridflow deploy` registers these on the configured Prefect API (work pool `WORK_POOL`) and
`gridflow serve` serves them from one process. Adding a deployment is one entry in
`all_deployments()`; its work queue follows from its tags (`QUEUE_BY_TAG`).
"""

from __future__ import annotations

from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from flows.ab_report import ab_report
from flows.ingest_ercot import ingest_ercot
from flows.ingest_pjm import ingest_pjm
from flows.ingest_pjm_load import ingest_pjm_load
from flows.ingest_pjm_prices import ingest_pjm_prices
from flows.ingest_plant import ingest_plant_hourly
from flows.ingest_smart_meter import ingest_smart_meter
from flows.ingest_transformers import ingest_transformer_readings
from flows.ingest_weather import ingest_weather, ingest_weather_history
from flows.issue_load_forecast import issue_load_forecast
from flows.monitor_drift import monitor_drift
from flows.notify_failure import notify_failure
from flows.plan_inspection import plan_inspection
from flows.poll_weather_alerts import poll_weather_alerts
from flows.retrain import retrain
from flows.retrain_fleet import retrain_fleet
from flows.storm_response import storm_response
from gridflow import events
from gridflow.config import section
from gridflow.services.deploy import WorkQueue
from gridflow.usecases.configs import LoadForecastConfig
from gridflow.usecases.naming import slug, zone_model_name

# Where meter exports land (an SFTP or share mount in production); a parameter, so an operator can
# point a second deployment at another folder.
METER_DROP_FOLDER = "/var/lib/gridflow/meter-dropbox"

# A process work pool: the worker runs each flow run as a subprocess on its own machine, which holds
# the code (the repository checkout locally, the image in docker-compose).
WORK_POOL = "gridflow-process"


STORM_QUEUE = WorkQueue("storm", 1, None, "Weather alerts and storm scoring: taken first, never limited.")
DEFAULT_QUEUE = WorkQueue("default", 2, None, "Ingestion, monitoring and failure notifications.")
# Two cores fit one XGBoost fit at a time; with this limit retraining can never hold more than one
# of the worker's slots, so a storm run always finds a free one.
TRAINING_QUEUE = WorkQueue("training", 3, 1, "Retraining: one run at a time, whatever the model.")
WORK_QUEUES = (STORM_QUEUE, DEFAULT_QUEUE, TRAINING_QUEUE)
# A deployment's queue follows from its tags (first match wins), so a new storm or retrain
# deployment lands on the right queue by tagging it.
QUEUE_BY_TAG = {"storm": STORM_QUEUE.name, "retrain": TRAINING_QUEUE.name}

# One run of a deployment at a time: a drift-triggered run that arrives during the weekly one waits
# for it in the queue (and then usually meets the cool-down) instead of training the same model
# twice at once. The retrain flow itself also holds `retrain:<model>` (gridflow.model_limits), the
# per-model limit a CLI run, a fleet's zone or another deployment of the same model shares.
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy="ENQUEUE")

# The failure-notification automation (deployments/automations.py) runs this deployment.
NOTIFY_DEPLOYMENT = "notify-failure/operators"


def work_queue_for(deployment: RunnerDeployment) -> str:
    """The work queue a deployment runs on: by its tags, else the default queue."""
    for tag in deployment.tags:
        if tag in QUEUE_BY_TAG:
            return QUEUE_BY_TAG[tag]
    return DEFAULT_QUEUE.name


def drift_trigger(model: str) -> DeploymentEventTrigger:
    """Run the retrain when the monitor reports drift for `model`; the reason becomes `trigger`,
    so the UI's parameters and the promotion audit row say why the run started."""
    return DeploymentEventTrigger(
        name=f"retrain-{slug(model.replace('*', 'any-zone'))}-on-drift",
        description=f"Reacts to {events.DRIFT_DETECTED} of model {events.model_resource(model)}: retrains the "
                    "model named in the event, with the monitor's reason as the run's trigger.",
        expect={events.DRIFT_DETECTED},
        match=events.resource_match(events.model_resource(model)),
        parameters={"model": "{{ event.payload.model }}", "trigger": "drift: {{ event.payload.reason }}"},
    )


def alert_trigger() -> DeploymentEventTrigger:
    """Answer every new, updated or cancelled storm warning; the run reads the message by id."""
    return DeploymentEventTrigger(
        name="storm-response-on-alert",
        description=f"Reacts to {', '.join(sorted(events.WEATHER_ALERT.values()))} of a storm warning "
                    f"{events.alert_resource('*')}: scores the assets under it and stages crews (or cancels).",
        expect=set(events.WEATHER_ALERT.values()),
        match=events.resource_match(events.alert_resource("*")),
        parameters={"alert_id": "{{ event.payload.alert_id }}"},
    )


def degraded_trigger() -> DeploymentEventTrigger:
    """Re-plan the inspections whenever the stream consumer reports a unit over its alarm threshold."""
    return DeploymentEventTrigger(
        name="plan-inspection-on-degraded",
        description=f"Reacts to {events.ASSET_HEALTH_DEGRADED} of a transformer {events.asset_resource('*')}: "
                    "re-ranks the units over their alarm threshold and publishes the inspection plan.",
        expect={events.ASSET_HEALTH_DEGRADED},
        match=events.resource_match(events.asset_resource("*")),
        parameters={"asset_resource": "{{ event.resource.id }}"},
    )


def _per_zone() -> bool:
    return section("load_forecast", LoadForecastConfig).model_per_zone


def load_forecast_fleet() -> list[RunnerDeployment]:
    """The per-zone load forecasts (`load_forecast.<zone>`): the weekly fleet retrain, a retrain of the
    one zone whose monitor reports drift, and a daily drift check per configured zone. The fleet's
    schedule is on only when the load forecast is set up with a model per zone."""
    config = section("load_forecast", LoadForecastConfig)
    deployments = [
        retrain_fleet.to_deployment(
            name="load-forecast",
            parameters={"use_case": "load_forecast", "trigger": "schedule: weekly fleet retrain"},
            # Same slot as the single-model retrain, which it replaces when each zone has its model.
            schedules=[Cron("0 6 * * 1", timezone=config.market_tz, active=config.model_per_zone)],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "load_forecast", "fleet"],
            description="Retrain every configured zone's load forecast (load_forecast.<zone>) through its "
                        "own gate, fanned out on GRIDFLOW_TASK_RUNNER; a report of every zone, failures named.",
        ),
        retrain.to_deployment(
            name="load-forecast-zone",
            parameters={"model": zone_model_name("load_forecast", config.zones[0]), "trigger": "manual"},
            triggers=[drift_trigger("load_forecast.*")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "load_forecast"],
            description="Retrain one zone's load forecast (parameter `model`, e.g. load_forecast.PJME); "
                        "runs by itself when that zone's monitor reports drift.",
        ),
    ]
    if config.model_per_zone:
        deployments += [
            monitor_drift.to_deployment(
                name=f"load-forecast-{slug(zone)}",
                parameters={"model": zone_model_name("load_forecast", zone), "window_days": 14},
                schedules=[Cron("0 7 * * *", timezone=config.market_tz)],
                tags=["monitoring", "load_forecast"],
                description=f"Drift and accuracy check of the {zone} load forecast champion; emits "
                            f"{events.DRIFT_DETECTED} when it should be retrained.",
            )
            for zone in config.zones
        ]
    return deployments


def ercot_hourly(name: str, report: str, minute: int, title: str) -> RunnerDeployment:
    """An hourly ERCOT MIS report deployment; minutes are staggered so reports do not collide.

    MIS publishes DAM prices once a day but other reports hourly; new DocIDs are cheap to check.
    """
    return ingest_ercot.to_deployment(
        name=name,
        parameters={"report": report},
        schedules=[Cron(f"{minute} * * * *", timezone="America/Chicago")],
        tags=["ingest", "ercot"],
        description=f"ERCOT {title}, new documents only.",
    )


def price_and_consumption() -> list[RunnerDeployment]:
    """The day-ahead price forecast (ERCOT hubs, or PJM by configuration) and the household
    consumption forecast: their history's ingestion, weekly retrains and drift checks."""
    return [
        ingest_ercot.to_deployment(
            name="dam-hub-prices-yearly",
            parameters={"report": "dam_hub_prices_yearly"},
            # NP4-180-ER is re-published through the year; the daily 12331 documents fill the days
            # between, so a weekly look for a new publication is enough.
            schedules=[Cron("45 6 * * 1", timezone="America/Chicago")],
            tags=["ingest", "ercot"],
            description="ERCOT Historical DAM Load Zone and Hub Prices (report 13060, yearly workbooks), "
                        "new publications only.",
        ),
        ingest_pjm_prices.to_deployment(
            name="pjm-da-file",
            tags=["ingest", "pjm"],
            description="Ingest one PJM Data Miner 2 da_hrl_lmps CSV export into market_price "
                        "(run with parameter `path`).",
        ),
        retrain.to_deployment(
            name="price-forecast",
            parameters={"model": "price_forecast", "trigger": "schedule: weekly retrain"},
            # Sunday night, so Monday's 10:00 forecast uses a model that has seen the whole week.
            schedules=[Cron("0 2 * * 1", timezone="America/Chicago")],
            triggers=[drift_trigger("price_forecast")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "price_forecast"],
            description="Retrain the day-ahead hub price forecast and promote it through the gate "
                        "(weekly, and when the drift monitor asks).",
        ),
        monitor_drift.to_deployment(
            name="price-forecast",
            parameters={"model": "price_forecast", "window_days": 14},
            # Daily, after the DAM has published the next day's prices (about 13:30 Central).
            schedules=[Cron("0 15 * * *", timezone="America/Chicago")],
            tags=["monitoring", "price_forecast"],
            description="Drift and accuracy check of the price forecast champion; emits "
                        f"{events.DRIFT_DETECTED} when it should be retrained.",
        ),
        retrain.to_deployment(
            name="meter-forecast",
            parameters={"model": "meter_forecast", "trigger": "schedule: weekly retrain"},
            # Weekly: household habits move with the seasons, and each retrain refits every meter's stats.
            schedules=[Cron("0 3 * * 2", timezone="Australia/Sydney")],
            triggers=[drift_trigger("meter_forecast")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "meter_forecast"],
            description="Retrain the households' next-day consumption forecast (one global model) "
                        "and promote it through the gate (weekly, and when the drift monitor asks).",
        ),
        monitor_drift.to_deployment(
            name="meter-forecast",
            parameters={"model": "meter_forecast", "window_days": 28},
            # Readings land a day late: a weekly look at four weeks of them.
            schedules=[Cron("0 8 * * 1", timezone="Australia/Sydney")],
            tags=["monitoring", "meter_forecast"],
            description="Drift and accuracy check of the consumption forecast champion; emits "
                        f"{events.DRIFT_DETECTED} when it should be retrained.",
        ),
    ]


def all_deployments() -> list[RunnerDeployment]:
    """The deployments a gridflow worker or `gridflow serve` process runs."""
    return [
        ercot_hourly("dam-spp", "dam_spp", minute=15, title="DAM Settlement Point Prices (report 12331)"),
        ercot_hourly("actual-load", "actual_load_wz", minute=20,
                     title="Actual System Load by Weather Zone (report 13101)"),
        ingest_pjm.to_deployment(
            name="hrl-load-metered-daily",
            parameters={"feed": "hrl_load_metered", "zones": ["PJME"], "start": "2024-01-01"},
            # Daily: metered load arrives with a lag of days and is revised; the watermark look-back
            # re-reads the last week each run.
            schedules=[Cron("30 6 * * *", timezone="America/New_York")],
            tags=["ingest", "pjm"],
            description="PJM Data Miner 2 hrl_load_metered, incremental by watermark per zone.",
        ),
        ingest_smart_meter.to_deployment(
            name="meter-dropbox",
            parameters={"folder": METER_DROP_FOLDER},
            schedules=[Interval(900)],
            tags=["ingest", "meters"],
            description="Smart-meter interval files dropped in the folder since the last scan.",
        ),
        ingest_pjm_load.to_deployment(
            name="pjm-load-file",
            tags=["ingest", "pjm"],
            description="Ingest one PJM hourly load CSV (run with parameter `path`).",
        ),
        ingest_weather.to_deployment(
            name="nws-sites",
            # Every 3 hours in UTC (NWS grids update several times a day); the 12:15 UTC run lands
            # at 07:15/08:15 Eastern, before the load forecast's 09:00 information cutoff.
            schedules=[Cron("15 */3 * * *", timezone="UTC")],
            tags=["ingest", "weather"],
            description="NWS hourly forecast vintage and station observations of every configured "
                        "weather site (GRIDFLOW_WEATHER__SITES); stale vintages are reported, not written.",
        ),
        ingest_weather_history.to_deployment(
            name="ghcn-file",
            tags=["ingest", "weather"],
            description="Ingest one GHCN-Daily history CSV into weather_daily (run with parameter `path`).",
        ),
        retrain.to_deployment(
            name="load-forecast",
            parameters={"model": "load_forecast", "trigger": "schedule: weekly retrain"},
            # Weekly, after the weekend's metered data has settled; operators can run it any time.
            # With a model per zone the fleet deployment takes this slot.
            schedules=[Cron("0 6 * * 1", timezone="America/New_York", active=not _per_zone())],
            triggers=[drift_trigger("load_forecast")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "load_forecast"],
            description="Retrain the day-ahead load forecast and promote it through the gate "
                        "(weekly, and when the drift monitor asks).",
        ),
        retrain.to_deployment(
            name="load-forecast-noweather",
            parameters={"model": "load_forecast_noweather", "trigger": "schedule: weekly retrain"},
            # The fallback issued when a weather vintage is missing must stay as fresh as the champion.
            schedules=[Cron("30 6 * * 1", timezone="America/New_York")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "load_forecast"],
            description="Retrain the no-weather load forecast, issued instead of the champion when a "
                        "zone's weather vintage is missing (GRIDFLOW_LOAD_FORECAST__FALLBACK_MODEL).",
        ),
        monitor_drift.to_deployment(
            name="load-forecast",
            parameters={"model": "load_forecast", "window_days": 14},
            # Daily, after the previous day's metered load has landed and before the 09:30 issue.
            schedules=[Cron("0 7 * * *", timezone="America/New_York", active=not _per_zone())],
            tags=["monitoring", "load_forecast"],
            description="Drift and accuracy check of the load forecast champion; emits "
                        f"{events.DRIFT_DETECTED} when it should be retrained.",
        ),
        issue_load_forecast.to_deployment(
            name="day-ahead",
            # 09:30 market time: the forecast uses what was known at 09:00 (issue_hour_local) and is
            # in operators' and traders' hands before the day-ahead market closes. The cron follows
            # the market's clock through DST.
            schedules=[Cron("30 9 * * *", timezone=section("load_forecast", LoadForecastConfig).market_tz)],
            tags=["forecast", "load_forecast"],
            description="Issue the load forecast champion's next-day hourly P10/P50/P90 per zone into "
                        "load_forecast_issued (first write wins), with a table and a plot per zone.",
        ),
        *load_forecast_fleet(),
        retrain.to_deployment(
            name="outage-risk",
            parameters={"model": "outage_risk", "trigger": "schedule: monthly retrain"},
            # Storm outcomes arrive after each storm's restoration is closed out: monthly is plenty.
            schedules=[Cron("0 5 1 * *", timezone="America/Chicago")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "outage_risk"],
            description="Retrain the storm outage-risk classifier and promote it through the gate.",
        ),
        ingest_transformer_readings.to_deployment(
            name="transformer-file",
            tags=["ingest", "transformer"],
            description="Ingest one transformer DGA / oil-test CSV into transformer_reading "
                        "(run with parameter `path`).",
        ),
        retrain.to_deployment(
            name="transformer-health",
            parameters={"model": "transformer_health", "trigger": "schedule: monthly retrain"},
            # Oil samples are drawn yearly per unit and arrive in lab batches: monthly is plenty.
            schedules=[Cron("0 4 1 * *", timezone="America/Chicago")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "transformer_health"],
            description="Retrain the transformer health-index regression and promote it through the gate.",
        ),
        monitor_drift.to_deployment(
            name="transformer-health",
            parameters={"model": "transformer_health", "window_days": 90},
            # Oil samples arrive in lab batches: a weekly look at the last quarter's readings.
            schedules=[Cron("0 5 * * 1", timezone="America/Chicago")],
            tags=["monitoring", "transformer_health"],
            description="Drift and accuracy check of the transformer health champion on recent readings.",
        ),
        ingest_plant_hourly.to_deployment(
            name="plant-file",
            tags=["ingest", "plant"],
            description="Ingest one combined-cycle plant hourly CSV (UCI CCPP format) into plant_hourly "
                        "(parameters `path`, optional `plant_id`).",
        ),
        retrain.to_deployment(
            name="plant-output",
            parameters={"model": "plant_output", "trigger": "schedule: monthly retrain"},
            # Ambient conditions shift with the seasons, not the week: monthly, after transformer health.
            schedules=[Cron("30 4 1 * *", timezone="America/Chicago")],
            concurrency_limit=ONE_AT_A_TIME,
            tags=["retrain", "plant_output"],
            description="Retrain the combined-cycle plant output regression and promote it through the gate.",
        ),
        plan_inspection.to_deployment(
            name="on-degraded",
            triggers=[degraded_trigger()],
            # Each run ranks the whole fleet, so a burst of events queues cheap, identical re-plans.
            concurrency_limit=ONE_AT_A_TIME,
            tags=["inspection", "transformer_health"],
            description="Rank the transformers whose latest streamed health score is over the alarm "
                        "threshold and publish the inspection plan (answers "
                        f"{events.ASSET_HEALTH_DEGRADED}).",
        ),
        ab_report.to_deployment(
            name="transformer-health",
            parameters={"model": "transformer_health", "apply": True},
            # Off until an experiment runs (`GRIDFLOW_API__TRAFFIC`): an operator switches the schedule
            # on in the UI, or runs it by hand. A promotion it applies goes through approval if required.
            schedules=[Cron("30 5 * * *", timezone="America/Chicago", active=False)],
            tags=["experiments", "transformer_health"],
            description="Compare the challenger's logged shadow/A-B answers with the champion's on measured "
                        "health indexes and promote or keep through the gate (audit trigger `ab-report`).",
        ),
        poll_weather_alerts.to_deployment(
            name="nws-active",
            # Warnings are issued minutes ahead of a storm; NWS asks clients not to poll faster.
            schedules=[Interval(120)],
            tags=["storm", "weather"],
            description="Poll api.weather.gov active alerts for the configured states; announce new, "
                        "updated and cancelled storm warnings as events.",
        ),
        storm_response.to_deployment(
            name="on-alert",
            triggers=[alert_trigger()],
            # One alert at a time: versions of a warning are answered in the order they arrived.
            concurrency_limit=ONE_AT_A_TIME,
            tags=["storm"],
            description="Outage-risk scoring of the assets under a storm warning and a crew staging "
                        "plan per service center; cancels the plan when the warning is withdrawn.",
        ),
        *price_and_consumption(),
        notify_failure.to_deployment(
            name=NOTIFY_DEPLOYMENT.split("/")[1],
            tags=["ops"],
            description="Tell operators about a failed or crashed gridflow run (log, "
                        "$GRIDFLOW_HOME/notifications.jsonl, GRIDFLOW_NOTIFY__WEBHOOK_URL).",
        ),
    ]
