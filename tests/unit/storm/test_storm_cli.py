"""`gridflow storm seed` writes the generated inventory and history, idempotently."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner


def test_storm_seed_writes_inventory_and_history_once(tmp_path, monkeypatch):
    from gridflow.config import reset_settings
    from gridflow_cli.main import app

    monkeypatch.setenv("GRIDFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRIDFLOW_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    reset_settings()
    try:
        runner = CliRunner()
        args = ["storm", "seed", "--assets", "1500", "--storms", "6", "--seed", "2"]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "seeded 1,500 assets" in first.output and "6 storms" in first.output
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM asset")).scalar_one() == 1500
            outcomes = conn.execute(sa.text("SELECT count(*), count(DISTINCT storm_id) FROM storm_outcome")).one()
        engine.dispose()
        assert outcomes[1] == 6 and outcomes[0] > 0
    finally:
        reset_settings()
