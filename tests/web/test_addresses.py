"""The client address: X-Forwarded-For walked from the right past TRUSTED_PROXIES; IPv6 as /64."""

from __future__ import annotations

import pytest

from moderation.config import ConfigError, load_config
from moderation.web.addresses import ClientAddresses, parse_networks
from tests.review.test_review import decide_all, post, queue, setup_site

PROXIES = ClientAddresses(parse_networks("127.0.0.1, 10.0.0.0/8, fd00::/8"))


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says():
    direct = ClientAddresses()
    assert direct.client("198.51.100.7", ["203.0.113.9"]) == "198.51.100.7"
    assert PROXIES.client("198.51.100.7", ["203.0.113.9"]) == "198.51.100.7"  # peer not a proxy


def test_the_chain_is_walked_from_the_right_past_trusted_proxies():
    # The client wrote "10.0.0.3, 127.0.0.1"; our proxies appended the real hops.
    assert PROXIES.client("127.0.0.1", ["10.0.0.3, 127.0.0.1, 198.51.100.7, 10.1.2.3"]) == \
        "198.51.100.7"
    # Several headers are one list, in order.
    assert PROXIES.client("127.0.0.1", ["6.6.6.6", "198.51.100.8"]) == "198.51.100.8"
    # Garbage left of the proxies: the proxy that passed it on is what we know.
    assert PROXIES.client("127.0.0.1", ["not-an-ip, 10.9.9.9"]) == "10.9.9.9"
    # Only proxies in the chain: the leftmost one.
    assert PROXIES.client("127.0.0.1", ["10.0.0.1"]) == "10.0.0.1"
    assert PROXIES.client("127.0.0.1", []) == "127.0.0.1"


def test_an_ipv6_client_counts_as_its_64():
    assert PROXIES.client("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert PROXIES.client("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert PROXIES.client("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert PROXIES.client("fd00::5", ["2001:db8:7:7::99"]) == "2001:db8:7:7::/64"
    assert PROXIES.client("::ffff:198.51.100.7") == "198.51.100.7"
    assert ClientAddresses().client(None) == "unknown"


def test_trusted_proxies_must_be_networks():
    assert load_config(trusted_proxies="10.0.0.0/8, ::1").trusted_proxies
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(trusted_proxies="10.0.0.0/8, example.com")


async def test_spoofed_forwarded_addresses_do_not_make_one_reader_many(make_client, pool, site):
    """Three reports with forged left-hand X-Forwarded-For entries come from one reader (what the
    proxy saw); three real readers behind the proxy are three."""
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    mod, _ = await setup_site(pool, site, report_threshold=3)
    forged = await post(client, site, "A perfectly ordinary comment.", name="One")
    honest = await post(client, site, "Another perfectly ordinary comment.", name="Two")
    await decide_all(pool)

    async def report(comment: dict, chain: str) -> None:
        response = await client.post(f"/v1/sites/{site}/comments/{comment['id']}/reports",
                                     json={"reason": "abuse"}, headers={"X-Forwarded-For": chain})
        assert response.status == 202

    for n in range(3):
        await report(forged, f"10.0.0.{n}, 127.0.0.1, 198.51.100.7")
    for n in range(3):
        await report(honest, f"198.51.100.{20 + n}")
    assert [i["id"] for i in await queue(client, site, mod)] == [honest["id"]]
    assert (await client.get(f"/v1/sites/{site}/comments/{forged['id']}")).status == 200


async def test_readers_in_one_ipv6_64_are_one_reader(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    mod, _ = await setup_site(pool, site, report_threshold=2)
    published = await post(client, site, "A perfectly ordinary comment.")
    await decide_all(pool)
    for address in ("2001:db8:5:5::1", "2001:db8:5:5::2", "2001:db8:5:5:ffff::3"):
        response = await client.post(f"/v1/sites/{site}/comments/{published['id']}/reports",
                                     json={"reason": "spam"}, headers={"X-Forwarded-For": address})
        assert response.status == 202
    assert await queue(client, site, mod) == []


def test_the_replaced_setting_stops_the_process_rather_than_being_ignored(monkeypatch):
    """Behind a proxy, TRUST_FORWARDED_FOR ignored would make every reader one address."""
    monkeypatch.setenv("TRUST_FORWARDED_FOR", "true")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config()


def test_address_range_is_the_network_of_a_burst():
    from moderation.web.addresses import address_range

    assert address_range("192.0.2.77") == "192.0.2.0/24"
    assert address_range("2001:db8:1:2::/64") == "2001:db8:1::/48"
    assert address_range("unknown") is None
