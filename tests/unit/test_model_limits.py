"""The per-model retrain limit's name (pure); taking it is tested on a real Prefect server in
tests/integration/test_concurrent_retrain.py."""

from __future__ import annotations

import pytest

from gridflow.errors import ConfigError
from gridflow.model_limits import retrain_limit_name


@pytest.mark.parametrize(("model", "name"), [
    ("load_forecast", "retrain:load_forecast"),
    ("load_forecast.PJME", "retrain:load_forecast.PJME"),
])
def test_each_model_has_its_own_limit(model, name):
    assert retrain_limit_name(model) == name


def test_it_never_collides_with_a_deployments_own_limit():
    # Prefect names a deployment's limit `deployment:<id>`: sharing it would deadlock a deployment run.
    assert not retrain_limit_name("deployment").startswith("deployment:")


@pytest.mark.parametrize("model", ["", "a/b", "a%b", "a&b", "a>b", "a<b"])
def test_names_prefect_refuses_are_a_clear_error(model):
    with pytest.raises(ConfigError, match="concurrency limit"):
        retrain_limit_name(model)
