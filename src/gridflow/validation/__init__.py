"""Data validation: expectation suites kept as files, run with Great Expectations."""
