"""The retrain flow's steps as plain functions: data, fit, evaluation, registration, decision, report."""
