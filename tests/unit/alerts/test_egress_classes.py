"""Which addresses the alert channels may reach: every refused class, with its reason."""

from __future__ import annotations

import ipaddress

import pytest

from lanshou.adapters.notify.egress import EgressPolicy, EgressRefused, classify, parse_allow_list


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("2002:7f00:1::", "loopback"),  # 6to4 carrying 127.0.0.1
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 carrying 127.0.0.1
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),  # ULA fc00::/7
        ("100.64.0.1", "shared"),
        ("100.127.255.254", "shared"),  # CGNAT 100.64/10
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("192.0.0.192", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "private"),  # TEST-NET-1 counts as non-global
    ],
)
def test_each_refused_address_class_is_named(address: str, kind: str) -> None:
    assert classify(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "47.95.0.1", "2606:2800:220:1::1", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


def _resolving(*addresses: str) -> EgressPolicy:
    return EgressPolicy(resolve=lambda host, port: list(addresses))


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(EgressRefused) as refused:
        _resolving("93.184.216.34", "10.0.0.5").vetted_addresses("hooks.example", 443)
    assert (refused.value.host, refused.value.address, refused.value.kind) == (
        "hooks.example",
        "10.0.0.5",
        "private",
    )
    assert str(refused.value) == (
        "hooks.example resolves to 10.0.0.5, a private address; alert "
        "channels may only reach public Internet addresses"
    )


def test_the_allow_list_lets_exactly_its_networks_and_hosts_through() -> None:
    networks, hosts = parse_allow_list(" 10.0.0.25/32, relay.corp.example ,fd00::/8")
    policy = EgressPolicy(networks, hosts, resolve=lambda host, port: ["10.0.0.25"])
    assert policy.vetted_addresses("smtp.corp.example", 25) == ["10.0.0.25"]
    neighbour = EgressPolicy(networks, hosts, resolve=lambda host, port: ["10.0.0.26"])
    with pytest.raises(EgressRefused):
        neighbour.vetted_addresses("smtp.corp.example", 25)
    assert neighbour.vetted_addresses("relay.corp.example", 25) == ["10.0.0.26"]


def test_an_allow_list_entry_that_is_neither_cidr_nor_host_is_refused() -> None:
    with pytest.raises(ValueError) as refused:
        parse_allow_list("10.0.0.0/33")
    assert str(refused.value) == "'10.0.0.0/33' is neither a CIDR nor a host name"
    assert parse_allow_list("") == ((), frozenset())
