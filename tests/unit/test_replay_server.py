"""The replay server answers real HTTP requests with queued replies and records them."""

from __future__ import annotations

import httpx

from gridflow.replay import ReplayServer, Reply


def test_queued_replies_then_repeat_and_query_routes():
    with ReplayServer() as server:
        server.add("/feed", Reply(429, "slow down", {"Retry-After": "1"}), Reply(200, '{"ok": 1}'))
        server.add("/feed", Reply(200, "page 2"), query={"startRow": "2"})
        with httpx.Client(base_url=server.base_url) as client:
            assert client.get("/feed").status_code == 429
            assert client.get("/feed").json() == {"ok": 1}
            assert client.get("/feed").json() == {"ok": 1}
            assert client.get("/feed", params={"startRow": "2"}).text == "page 2"
            assert client.get("/nothing").status_code == 404
            client.get("/feed", headers={"X-Key": "k"})
    assert [r.path for r in server.requests][:2] == ["/feed", "/feed"]
    assert server.requests[3].query == {"startRow": "2"}
    assert server.requests[-1].headers["X-Key"] == "k"
