"""A local HTTP server that replays recorded, real-format payloads of outside services.

Used by the tests and the offline demo in place of ERCOT, PJM and NWS: the clients under test
make real HTTP requests to 127.0.0.1 and cannot tell the difference.
"""

from gridflow.replay.server import RecordedRequest, ReplayServer, Reply

__all__ = ["RecordedRequest", "ReplayServer", "Reply"]
