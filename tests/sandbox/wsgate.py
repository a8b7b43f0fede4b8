"""Helpers for driving the sandbox's WebSocket gateway by hand, with the `websockets` library, on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from websockets.asyncio.client import ClientConnection, connect

from server.sandbox import SandboxPlatform, serve_sandbox

from .helpers import FULL_USER, bearer, login

PBX_FILTER = "/ai/ringsense/v1/public/accounts/~/domains/pbx/insights"
WAIT = 5.0  # seconds any single wait in these tests may take at most


@asynccontextmanager
async def gateway(platform: SandboxPlatform) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox on a real loopback port; yields an HTTP client for its base URL."""
    async with serve_sandbox(platform) as base, httpx.AsyncClient(base_url=base) as http:
        yield http


async def ws_token(http: httpx.AsyncClient, token: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/restapi/oauth/wstoken", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def open_ws(http: httpx.AsyncClient, token: dict[str, Any], wsc: str | None = None) -> ClientConnection:
    grant = await ws_token(http, token)
    url = f"{grant['uri']}?access_token={grant['ws_access_token']}" + (f"&wsc={wsc}" if wsc else "")
    return await connect(url)


async def receive(ws: ClientConnection) -> list[Any]:
    with anyio.fail_after(WAIT):
        message: list[Any] = json.loads(await ws.recv())
    return message


async def request(ws: ClientConnection, method: str, path: str, body: Any = None, message_id: str = "m-1") -> list[Any]:
    meta = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
    await ws.send(json.dumps([meta, body] if body is not None else [meta]))
    return await receive(ws)


async def subscribe(ws: ClientConnection, filters: list[str] | None = None) -> list[Any]:
    body = {"eventFilters": filters or [PBX_FILTER], "deliveryMode": {"transportType": "WebSocket"}}
    return await request(ws, "POST", "/restapi/v1.0/subscription/", body)


async def session(http: httpx.AsyncClient, jwt: str = FULL_USER.jwt) -> dict[str, Any]:
    return await login(http, jwt)
