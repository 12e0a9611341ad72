"""The CLI starts fast and lists its verbs without touching any store."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from gridflow_cli.main import app


def test_help_lists_every_verb():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for verb in ("demo", "ingest", "retrain", "models", "rollback", "history", "serve", "server", "api", "ab"):
        assert verb in result.output


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from gridflow_cli.main import app; "
            "print(sorted(m for m in ('prefect', 'mlflow', 'great_expectations', 'xgboost') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_api_keygen_prints_a_key_once_and_only_its_hash_to_configure():
    import json

    from gridflow.serving.auth import hash_key

    result = CliRunner().invoke(app, ["api", "keygen", "scada"])
    assert result.exit_code == 0, result.output
    key = result.output.split("shown once, give it to the client): ")[1].split()[0]
    setting = next(line for line in result.output.splitlines() if line.startswith("GRIDFLOW_API__KEYS="))
    assert key not in setting
    assert json.loads(setting.split("=", 1)[1].strip("'")) == {"scada": hash_key(key)}
