"""A process that holds a lease until it is killed: `python -m tests.ringsense.shared.holder URL NAMESPACE NAME`.

It prints `holding <holder id> <term number>` once it holds the lease, then works (waits) forever.
"""

from __future__ import annotations

import sys

import anyio

from server.ringsense.shared import Lease, SharedRedis, Term


async def main(url: str, namespace: str, name: str) -> None:
    redis = SharedRedis.from_url(url, namespace=namespace)
    lease = Lease(redis, name)

    async def work(term: Term) -> None:
        print(f"holding {term.holder} {term.number}", flush=True)
        await anyio.sleep_forever()

    await lease.run(work)


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4])
