"""Typed domain exceptions: each says what went wrong in words an operator can act on."""

from __future__ import annotations


class GridflowError(Exception):
    """Base class for every error gridflow raises on purpose."""


class ConfigError(GridflowError):
    """A setting is missing or inconsistent."""


class ParseError(GridflowError):
    """An input file or payload does not have the expected format.

    `source` names the file or request; `detail` says what is wrong and where (line, column).
    """

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"{source}: {detail}")


class ValidationFailed(GridflowError):
    """A batch failed its expectation suite and was quarantined; it never reaches training."""

    def __init__(self, dataset: str, failures: list[dict], ledger_id: int | None = None) -> None:
        self.dataset = dataset
        self.failures = failures
        self.ledger_id = ledger_id
        names = ", ".join(sorted({f.get("expectation", "?") for f in failures})) or "unknown"
        where = f" (ledger id {ledger_id})" if ledger_id is not None else ""
        super().__init__(
            f"dataset {dataset!r} failed {len(failures)} expectation(s): {names}; "
            f"the batch is quarantined{where} and was not loaded"
        )


class InsufficientDataError(GridflowError):
    """There is not enough history to build features, train or evaluate."""


class MissingInputError(GridflowError):
    """An input a scheduled product needs (recent load, a weather vintage) is not in the warehouse."""


class RegistryError(GridflowError):
    """The model registry is missing a model, version or alias that an action needs."""


class UnknownUseCaseError(GridflowError):
    """No use case is registered under the requested name."""


class UnknownAlertError(GridflowError):
    """A storm response was asked for a weather alert the warehouse has not stored."""


class FleetFailed(GridflowError):
    """Some zones of a fleet retrain failed; the others were trained and decided. Names each failure."""

    def __init__(self, use_case: str, failed: dict[str, str], done: int) -> None:
        self.use_case = use_case
        self.failed = failed
        reasons = "; ".join(f"{model}: {reason}" for model, reason in failed.items())
        self.done = done
        super().__init__(f"{use_case}: {len(failed)} zone(s) failed ({done} trained and decided): {reasons}; "
                         f"a Retry of the run re-runs only these")

    def __reduce__(self) -> tuple:
        # Prefect stores a failed run's exception by pickling it; rebuild it from its own arguments.
        return (FleetFailed, (self.use_case, self.failed, self.done))
