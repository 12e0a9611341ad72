"""ERCOT Market Information System (MIS) reports: listings, report registry, times and parsers.

Background: shared/data/FORMATS.md section 1. Pure code: no Prefect, no HTTP (see
`gridflow.clients.ercot_mis` for the client and `tasks/ingest_ercot.py` for the orchestration).
"""
