"""Local service processes for the embedded default stack (no Docker needed)."""
