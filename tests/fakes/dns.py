"""A DNS stand-in for the gateway's image fetches: names answer from a table, never the network.

Each name maps to the answers of successive lookups (the last repeats), so a
test can play a rebinding DNS server: public on the first lookup, internal after.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from typing_extensions import override


class StubResolver(AbstractResolver):
    """aiohttp's resolver interface over a table of name -> answers per lookup."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    @override
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        asked_before = self.lookups.count(host)
        self.lookups.append(host)
        answers = self.table.get(host)
        if not answers:
            raise OSError(f"stub DNS: no such name {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6
                if ipaddress.ip_address(address).version == 6
                else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in answers[min(asked_before, len(answers) - 1)]
        ]

    @override
    async def close(self) -> None:
        return None
