"""The ingestion contract every source follows, and each source's use case.

A source is a parser (in `gridflow.sources`) that returns `contract.Parsed`; its use case here
fetches or reads the input, validates it with its suite, and hands it to `batch.load_batch`
(rows + ledger + source document + watermark in one transaction) or to `quarantine.quarantine`.
Every use case returns a `contract.IngestReport`, which the CLI and the artifacts print as is.
"""
