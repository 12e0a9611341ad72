"""What happens to an answer after it is computed, off the request path: its rows go to the
prediction log, and under a shadow rule the challenger scores the same rows in the background
(its answer logged, never returned; its failure logged, never seen by the caller)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from gridflow.serving import parsing, traffic
from gridflow.serving.holder import Served
from gridflow.serving.metrics import ApiMetrics
from gridflow.serving.prediction_log import ArmAnswer, PredictionLog, RequestRows
from gridflow.serving.shadow import ShadowRunner

log = logging.getLogger("gridflow.serving")

Predictor = Callable[[Served, Any], list[Any]]


class AnswerRecorder:
    """Logs every answer and runs shadow scorings; `shadow` is set while the app runs."""

    def __init__(self, predict: Predictor, metrics: ApiMetrics, prediction_log: PredictionLog | None,
                 max_rows: int) -> None:
        self.predict = predict
        self.metrics = metrics
        self.prediction_log = prediction_log
        self.max_rows = max_rows
        self.shadow: ShadowRunner | None = None

    def answered(self, name: str, plan: traffic.Plan, request: RequestRows, predictions: list[Any],
                 seconds: float) -> None:
        """Record the returned answer, then hand the shadow scoring (if any) to the background."""
        self.metrics.observe_scoring(name, plan.answer.version, plan.arm, seconds)
        self._log(ArmAnswer(request, plan.arm, plan.mode, True, name, plan.answer.version, predictions,
                            seconds * 1000))
        challenger = plan.shadow
        if challenger is None:
            return
        runner = self.shadow
        if runner is None or not runner.submit(lambda: self._score_shadow(name, challenger, request)):
            self.metrics.count_shadow(name, challenger.version, "skipped")

    def _score_shadow(self, name: str, challenger: Served, request: RequestRows) -> None:
        try:
            # Built again with the challenger's own signature: it may type a column differently.
            frame = parsing.to_frame(request.rows, challenger.input_types, self.max_rows)
            started = time.perf_counter()
            predictions = self.predict(challenger, frame)
            seconds = time.perf_counter() - started
        except Exception as exc:
            self.metrics.count_shadow(name, challenger.version, "error")
            log.warning("shadow scoring of %s version %s failed: %s", name, challenger.version, exc)
            return
        self.metrics.count_shadow(name, challenger.version, "ok")
        self.metrics.observe_scoring(name, challenger.version, traffic.CHALLENGER, seconds)
        self._log(ArmAnswer(request, traffic.CHALLENGER, traffic.SHADOW, False, name, challenger.version,
                            predictions, seconds * 1000))

    def _log(self, answer: ArmAnswer) -> None:
        if self.prediction_log is not None:
            self.prediction_log.submit(answer)
