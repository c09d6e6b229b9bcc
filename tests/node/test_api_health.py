"""The node's HTTP application: health, readiness and JSON errors, on a real chain and index."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.api.app import create_app
from node.config import NodeConfig

from .conftest import Consortium


def node_config(consortium: Consortium, tmp_path: Path, rpc_url: str | None = None) -> NodeConfig:
    return NodeConfig(
        organisation="SH",
        rpc_url=rpc_url or consortium.url,
        deployment=consortium.deployment_path,
        database_url=f"sqlite:///{tmp_path / 'index.db'}",
        poll_interval=0.1,
        rpc_timeout=1,
        rpc_retries=0,
    )


@pytest.fixture
async def client(consortium: Consortium, tmp_path: Path) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(node_config(consortium, tmp_path)))) as c:
        yield c


async def _until_ready(client: TestClient) -> dict[str, object]:
    for _ in range(200):
        response = await client.get("/ready")
        if response.status == 200:
            return dict(await response.json())
        await asyncio.sleep(0.05)
    raise AssertionError("the node never became ready")


async def test_the_node_is_healthy_and_ready_once_caught_up(client: TestClient) -> None:
    assert (await client.get("/health")).status == 200
    body = await _until_ready(client)
    assert body["lag"] <= 5 and body["chain_reachable"] is True  # within ready_lag
    for _ in range(200):
        status = await (await client.get("/status")).json()
        if status["indexed"] == status["head"]:
            break
        await asyncio.sleep(0.05)
    assert status["organisation"] == "SH" and status["lag"] == 0


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no-such-thing", 404, "not_found"),
        ("POST", "/health", 405, "method_not_allowed"),
    ],
    ids=["an unknown path is a JSON 404", "a wrong method is a JSON 405"],
)
async def test_errors_are_json(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = await client.request(method, path)
    assert response.status == status
    assert (await response.json())["code"] == code


async def test_without_a_chain_the_node_serves_but_is_not_ready(
    consortium: Consortium, tmp_path: Path
) -> None:
    config = node_config(consortium, tmp_path, rpc_url="http://127.0.0.1:9")
    async with TestClient(TestServer(create_app(config))) as c:
        await asyncio.sleep(0.3)
        assert (await c.get("/health")).status == 200
        response = await c.get("/ready")
        assert response.status == 503
        body = await response.json()
        assert body["chain_reachable"] is False
        assert "unreachable" in str(body["last_error"])


async def test_metrics_report_the_index_and_request_latency(client: TestClient) -> None:
    await _until_ready(client)
    await client.get("/status")
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    for name in (
        "onelist_index_lag_blocks",
        "onelist_events_indexed",
        "onelist_rpc_errors",
        "onelist_dead_letters",
        'onelist_http_request_seconds_bucket{le="0.01",method="GET",route="/status",status="200"}',
    ):
        assert name in text, name
