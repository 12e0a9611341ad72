"""Smart-meter interval files (SMT, simple `timestamp,kWh`, long `meter,timestamp,kWh`, Green Button
CSV) -> canonical frame."""

from gridflow.sources.meters.detect import KNOWN_FORMATS, detect_format, parse_meter_bytes, parse_meter_file
from gridflow.sources.meters.frame import METER_COLUMNS, METER_KEY

__all__ = ["KNOWN_FORMATS", "METER_COLUMNS", "METER_KEY", "detect_format",
           "parse_meter_bytes", "parse_meter_file"]
