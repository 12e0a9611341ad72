"""The scoring API: every use case's `@champion` behind FastAPI, swapped in when the alias moves."""
