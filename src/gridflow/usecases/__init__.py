"""Model use cases served by the generic retrain and monitor flows; look them up with
`gridflow.usecases.catalog.get_use_case`."""
