"""Fixtures shared by the promotion tests: a migrated warehouse on both dialects and a toy MLflow store."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    from gridflow.warehouse.engine import make_engine, upgrade

    url = (f"sqlite:///{tmp_path / 'warehouse.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def mlflow_store(tmp_path):
    from gridflow.registry import mlflow_registry as registry

    registry.configure(f"sqlite:///{tmp_path / 'mlflow.db'}")
    return registry.ensure_experiment("toy", (tmp_path / "artifacts").as_uri())
