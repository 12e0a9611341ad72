"""The `gridflow` command line: the shell at the top of the layers.

It is the only code that starts flows and registers deployments; everything it does below that
lives in `gridflow` (the core), `tasks`, `flows` and `deployments`. Heavy libraries (Prefect,
MLflow, GX) are imported inside commands so `gridflow --help` stays fast.
"""
