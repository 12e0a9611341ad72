"""`python -m gridflow_cli`: the same command as `gridflow` (how the stack starts its worker)."""

from gridflow_cli.main import main

main()
