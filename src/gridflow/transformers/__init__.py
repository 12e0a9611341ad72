"""Transformer condition: the pure parts of the `transformer_health` use case (DGA rules)."""
