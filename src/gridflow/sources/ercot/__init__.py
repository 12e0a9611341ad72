"""ERCOT Market Information System (MIS) reports: listings, report registry, times and parsers.

Background: docs/data-formats.md section 1. Pure code: no Prefect, no HTTP (see
`gridflow.clients.ercot_mis` for the client and `gridflow.ingest.ercot` for the ingestion).
"""
