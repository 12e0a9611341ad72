"""Pure parsers that turn raw market files into gridflow's canonical frames."""
