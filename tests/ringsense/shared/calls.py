"""Concurrent permission checks from several replicas at once, for the shared-state tests."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from server.ringsense import RingSenseClient


async def call_everywhere(
    replicas: Sequence[RingSenseClient], calls_each: int, *, within: float = 60
) -> list[BaseException]:
    """`calls_each` concurrent `check_permission` calls on every replica, all at once; returns the errors raised
    (empty when every call succeeded). Raises TimeoutError when they take longer than `within` seconds."""
    failures: list[BaseException] = []

    async def one(client: RingSenseClient) -> None:
        try:
            await client.check_permission()
        except Exception as error:  # collected: the caller's assertion names them
            failures.append(error)

    with anyio.fail_after(within):
        async with anyio.create_task_group() as tasks:
            for client in replicas:
                for _ in range(calls_each):
                    tasks.start_soon(one, client)
    return failures
