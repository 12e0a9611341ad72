"""Inspection planning: which transformers to send a crew to first, from the stream's health scores."""
