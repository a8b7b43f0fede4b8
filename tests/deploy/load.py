"""Load through the proxy: MCP SDK clients calling tools concurrently, and raw JSON-RPC for requests per second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from mcp import Client
from mcp.types import CallToolResult

from .cluster import CALL_TIMEOUT, HTTP_TOKEN, Cluster


@dataclass
class Outcome:
    """What a batch of tool calls came to."""

    results: list[CallToolResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        return ["\n".join(getattr(block, "text", "") for block in result.content) for result in self.results]


async def call_concurrently(
    cluster: Cluster, calls: Sequence[tuple[str, dict[str, Any]]], *, clients: int = 20
) -> Outcome:
    """Run every call at once, spread over `clients` MCP clients; a transport error or an error result is a failure."""
    outcome = Outcome()

    async def one(client: Client, name: str, arguments: dict[str, Any]) -> None:
        try:
            result = await client.call_tool(name, arguments)
        except Exception as err:  # any transport or protocol failure counts; the test reports them all
            outcome.failures.append(f"{name}: {type(err).__name__}: {err}")
            return
        outcome.results.append(result)
        if result.is_error:
            text = "\n".join(getattr(block, "text", "") for block in result.content)
            outcome.failures.append(f"{name}: {text[:300]}")

    async def batch(share: Sequence[tuple[str, dict[str, Any]]]) -> None:
        async with cluster.client() as client, anyio.create_task_group() as tasks:
            for name, arguments in share:
                tasks.start_soon(one, client, name, arguments)

    with anyio.fail_after(CALL_TIMEOUT):
        async with anyio.create_task_group() as tasks:
            for number in range(clients):
                if share := calls[number::clients]:
                    tasks.start_soon(batch, share)
    return outcome


RAW_HEADERS = {
    "Authorization": f"Bearer {HTTP_TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def raw_requests(url: str, bodies: Sequence[dict[str, Any] | None], *, connections: int) -> tuple[float, int]:
    """POST each JSON-RPC body (GET for None) over `connections` keep-alive connections, the least client there
    is (stateless replicas need no `initialize`); returns (seconds, failures)."""
    failures = 0
    queue = list(bodies)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            body = queue.pop()
            answer = await (http.get(url) if body is None else http.post(url, json=body))
            if answer.status_code != 200 or '"isError":true' in answer.text:
                failures += 1

    async with httpx.AsyncClient(headers=RAW_HEADERS, limits=limits, timeout=CALL_TIMEOUT) as http:
        started = anyio.current_time()
        with anyio.fail_after(CALL_TIMEOUT):
            async with anyio.create_task_group() as tasks:
                for _ in range(connections):
                    tasks.start_soon(worker, http)
        return anyio.current_time() - started, failures
