"""Weather parsers (pure): GHCN-Daily history CSV, NWS points, hourly forecast and station observations.

Formats: docs/data-formats.md section "Weather". Every format problem raises `ParseError` naming the
input and where; nulls the NWS sends are kept as nulls and counted, never invented.
"""
