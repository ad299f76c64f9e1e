"""Who sent a request: the client address, honest behind the operator's own proxies.

`X-Forwarded-For` is a list that every proxy appends the address it received the request from
to; everything left of the operator's own proxies was written by the client and proves nothing.
So the chain is walked from the right, past the peer and the addresses in `TRUSTED_PROXIES`,
and the first address that is not a trusted proxy is the client. With no trusted proxies (the
default) the header is ignored and the peer is the client.

An IPv6 client is its /64: one household or phone holds a whole /64 and can pick any address in
it, so counting single IPv6 addresses would let one person be 2^64 people. Whatever counts an
address as one person (the keyed address hash behind anonymous identities, the flood and
rating rules, rate limits, reports, address bans) counts `person_address`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is its own /32 or /128); ValueError names a bad one."""
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
    return address


def person_address(address: Address) -> str:
    """The address as one person: IPv4 as it is, IPv6 as its /64 network."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


# Clients remembered by ClientAddresses (a full table starts again empty), and the longest
# X-Forwarded-For they are remembered for.
REMEMBERED = 10_000
REMEMBERED_HEADER_CHARS = 200


@dataclass(frozen=True, slots=True)
class ClientAddresses:
    """Finds the client of a request from its peer and X-Forwarded-For (app key CLIENTS)."""

    trusted: tuple[Network, ...] = ()
    # The same peer and header mean the same client: parsing addresses is most of the work.
    _seen: dict[tuple[str | None, tuple[str, ...]], str] = field(
        default_factory=dict, compare=False, repr=False)

    def is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    def client(self, peer: str | None, forwarded: Iterable[str] = ()) -> str:
        """`person_address` of the client; `forwarded` holds the X-Forwarded-For headers in the
        order received (several headers are one list, joined in order)."""
        # Without trusted proxies the header is never read; a long one is not worth keeping.
        hops = tuple(forwarded) if self.trusted else ()
        if sum(len(header) for header in hops) > REMEMBERED_HEADER_CHARS:
            return self._client(peer, hops)
        seen = (peer, hops)
        found = self._seen.get(seen)
        if found is None:
            found = self._client(peer, hops)
            if len(self._seen) >= REMEMBERED:
                self._seen.clear()
            self._seen[seen] = found
        return found

    def _client(self, peer: str | None, forwarded: tuple[str, ...]) -> str:
        address = parse_address(peer) if peer else None
        if address is None:
            return UNKNOWN
        if not self.trusted or not self.is_trusted(address):
            return person_address(address)
        hops = [hop for header in forwarded for hop in header.split(",")]
        for hop in reversed(hops):
            previous = parse_address(hop)
            if previous is None:
                # A trusted proxy never writes garbage: this was written by the client, so the
                # proxy that passed it on is the last address we know to be real.
                break
            address = previous
            if not self.is_trusted(address):
                break
        return person_address(address)


def address_range(client: str) -> str | None:
    """The network a client address belongs to, for rules about bursts from one network (the
    vote-flood rule): an IPv4 /24, an IPv6 /48. None for an unknown client."""
    try:
        network = ipaddress.ip_network(client, strict=False)
    except ValueError:
        return None
    prefix = 24 if network.version == 4 else 48
    return str(network.supernet(new_prefix=prefix))
