"""Runnable measurements; each reports a ratio against a raw baseline measured in the same run."""
