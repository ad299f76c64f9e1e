"""Where webhooks may go: no server-side request forgery.

A webhook URL is `https`, or plain `http` to a host the operator allows (WEBHOOK_ALLOWED_HOSTS).
Its host must be a public address: loopback, private, link-local (cloud metadata), multicast and
reserved addresses are refused unless the host is allowed. Literal addresses are checked when
the webhook is registered and before each attempt; names are checked on every connection by
`GuardedResolver`, on the very addresses the connection then uses, so a name that later
resolves elsewhere (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from moderation.web.addresses import Address, Network, parse_address

HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")


class AddressRefused(OSError):
    """The endpoint's host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True)
class AllowedHosts:
    """WEBHOOK_ALLOWED_HOSTS: host names, addresses and CIDR networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowedHosts:
        names, networks = set(), []
        for part in (p.strip().lower() for p in text.split(",")):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                if not HOST_NAME.fullmatch(part):
                    raise ValueError(f"{part!r} is not a host name, address or CIDR") from None
                names.add(part.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        address = parse_address(host)
        if address is not None:
            return self.allows_address(address)
        return host in self.names

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


# IPv6 ranges that carry an IPv4 address (NAT64, 6to4, IPv4-compatible): the IPv4 one decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or address in _V4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def public(address: Address) -> bool:
    inner = embedded_ipv4(address)
    if inner is not None and not public(inner):
        return False
    return address.is_global and not address.is_multicast


def url_refusal(url: str, allowed: AllowedHosts) -> str | None:
    """Why a webhook may not post to this URL, or None when it may (names are resolved later)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "not a URL"
    if parsed.scheme not in ("https", "http") or not parsed.host:
        return "an absolute https:// URL is needed"
    if parsed.scheme == "http" and not allowed.allows_host(parsed.host):
        return "plain http is only for hosts in WEBHOOK_ALLOWED_HOSTS; use https"
    if parsed.fragment:
        return "a URL fragment is never sent; leave it out"
    address = parse_address(parsed.host.strip("[]"))
    if address is not None and not public(address) and not allowed.allows_address(address):
        return f"{address} is not a public address"
    return None


class GuardedResolver(AbstractResolver):
    """Resolves names as aiohttp does, then refuses any answer with a non-public address (the
    whole answer: a client may pick any of its addresses) unless the name is allowed."""

    def __init__(self, allowed: AllowedHosts, resolver: AbstractResolver | None = None) -> None:
        self.allowed = allowed
        self.resolver = resolver or DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self.resolver.resolve(host, port, family)
        if self.allowed.allows_host(host):
            return found
        for entry in found:
            address = parse_address(entry["host"])
            if address is None or (not public(address) and not self.allowed.allows_address(address)):
                raise AddressRefused(f"{host} resolves to {entry['host']}, not a public address")
        return found

    async def close(self) -> None:
        await self.resolver.close()
