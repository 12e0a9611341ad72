"""Typed domain exceptions: each says what went wrong in words an operator can act on."""

from __future__ import annotations


class GridflowError(Exception):
    """Base class for every error gridflow raises on purpose."""

    def __reduce__(self) -> tuple:
        # Prefect stores a failed run's exception by pickling it, and the default rebuilds it as
        # `cls(*args)`, which breaks every subclass whose __init__ takes other arguments than the
        # message: rebuild from the message and the attributes instead, without calling __init__.
        return (_rebuild_error, (type(self), self.args, self.__dict__))


def _rebuild_error(cls: type[GridflowError], args: tuple, state: dict) -> GridflowError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(GridflowError):
    """A setting is missing or inconsistent."""


class PortInUse(ConfigError):
    """A port gridflow would listen on is taken by another program; the message says by what and what to set."""


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


class SourceUnreachable(GridflowError):
    """An outside service could not be reached (refused, DNS, TLS, timeout) once its retries ran out.

    `endpoint` is ``scheme://host:port/path`` only, never a query string or credentials; a retry
    later may succeed, so the task layer treats it as transient.
    """

    def __init__(self, service: str, endpoint: str, reason: str, attempts: int = 1) -> None:
        self.service = service
        self.endpoint = endpoint
        self.reason = reason
        self.attempts = attempts
        super().__init__(f"{service} unreachable at {endpoint}: {reason}")


class InsufficientDataError(GridflowError):
    """There is not enough history to build features, train or evaluate."""


class MissingInputError(GridflowError):
    """An input a scheduled product needs (recent load, a weather vintage) is not in the warehouse."""


class FrameMissing(GridflowError):
    """A persisted task result refers to a frame file that is gone; Prefect then runs the task again."""

    def __init__(self, digest: str, path: str) -> None:
        self.digest = digest
        self.path = path
        super().__init__(f"persisted frame {digest} is missing at {path} (results folder cleaned or not shared)")


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
