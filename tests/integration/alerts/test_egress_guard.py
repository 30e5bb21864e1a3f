"""The egress guard on real connections: fake HTTP(S) and SMTP servers on loopback addresses,
reached only when LANSHOU_EGRESS_ALLOW lets them, never by a redirect or a rebound DNS name."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lanshou.adapters.notify import (
    DeliveryResult,
    EgressPolicy,
    EgressRefused,
    Message,
    SignedWebhook,
    build_sender,
)
from lanshou.adapters.notify.egress import GuardedTransport
from tests.integration.alerts.local_servers import http_server, self_signed, smtp_server

MSG = Message("揽收预警", "订单 A000 还剩 2 小时")
STRICT = EgressPolicy()
LOCAL = EgressPolicy.from_allow_list("127.0.0.1/32")
REFUSAL = (
    "EgressRefused: {host} resolves to {address}, a {kind} address; alert channels may "
    "only reach public Internet addresses"
)


def _webhook(url: str, egress: EgressPolicy) -> DeliveryResult:
    return build_sender("webhook", {"url": url}, "whsec", egress=egress).send(MSG)


@pytest.mark.parametrize(
    ("host", "named", "address", "kind"),
    [
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", "loopback"),
        ("localhost", "localhost", "127.0.0.1", "loopback"),  # a name that resolves to loopback
        ("2130706433", "2130706433", "127.0.0.1", "loopback"),  # 127.0.0.1 as one decimal number
        ("0x7f.1", "0x7f.1", "127.0.0.1", "loopback"),  # hexadecimal, short form
        ("127.1", "127.1", "127.0.0.1", "loopback"),
    ],
)
def test_loopback_in_any_spelling_is_refused_before_connecting(
    host: str, named: str, address: str, kind: str
) -> None:
    with http_server() as (port, seen):
        result = _webhook(f"http://{host}:{port}/hook", STRICT)
    assert result == DeliveryResult(
        False, None, REFUSAL.format(host=named, address=address, kind=kind)
    )
    assert seen.requests == []


@pytest.mark.parametrize(
    ("url", "named", "address", "kind"),
    [
        ("https://[::1]:8443/h", "::1", "::1", "loopback"),
        ("https://[::ffff:127.0.0.1]/h", "::ffff:127.0.0.1", "::ffff:127.0.0.1", "loopback"),
        (
            "https://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
            "169.254.169.254",
            "metadata",
        ),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254", "fd00:ec2::254", "metadata"),
        (
            "https://100.100.100.200/latest/meta-data/",
            "100.100.100.200",
            "100.100.100.200",
            "metadata",
        ),
        ("https://10.0.0.8/", "10.0.0.8", "10.0.0.8", "private"),
        ("https://192.168.1.1/", "192.168.1.1", "192.168.1.1", "private"),
        ("https://[fd12::1]/", "fd12::1", "fd12::1", "private"),
        ("https://100.64.1.1/", "100.64.1.1", "100.64.1.1", "shared"),
        ("https://169.254.10.10/", "169.254.10.10", "169.254.10.10", "link-local"),
        ("https://0.0.0.0:9/", "0.0.0.0", "0.0.0.0", "unspecified"),
        ("https://224.0.0.251/", "224.0.0.251", "224.0.0.251", "multicast"),
        ("https://240.0.0.9/", "240.0.0.9", "240.0.0.9", "reserved"),
    ],
)
def test_every_refused_class_fails_the_delivery_with_its_reason(
    url: str, named: str, address: str, kind: str
) -> None:
    assert _webhook(url, STRICT) == DeliveryResult(
        False, None, REFUSAL.format(host=named, address=address, kind=kind)
    )


def test_a_name_that_does_not_resolve_may_be_saved_but_sends_nothing() -> None:
    STRICT.check_url("https://hooks.lanshou.invalid/hook")  # .invalid never resolves (RFC 6761)
    assert _webhook("https://hooks.lanshou.invalid/hook", STRICT) == DeliveryResult(
        False, None, "Unresolvable: hooks.lanshou.invalid could not be resolved"
    )


def test_the_allow_list_lets_a_local_test_server_receive_the_signed_webhook() -> None:
    with http_server() as (port, seen):
        result = _webhook(f"http://127.0.0.1:{port}/hook", LOCAL)
    assert result == DeliveryResult(True, 200)
    [(method, path, headers, body)] = seen.requests
    assert (method, path) == ("POST", "/hook")
    assert headers["X-Lanshou-Signature"].startswith("sha256=") and b'"title"' in body


def test_the_connection_goes_to_the_checked_address_with_the_name_kept_in_host() -> None:
    answers = [["127.0.0.1"]]  # a rebinding resolver would answer differently the next time

    def resolve(host: str, port: int) -> list[str]:
        assert host == "hooks.test"
        return answers.pop(0) if answers else ["10.9.9.9"]

    policy = EgressPolicy(LOCAL.allowed_networks, resolve=resolve)
    with http_server() as (port, seen):
        result = _webhook(f"http://hooks.test:{port}/hook", policy)
    assert result == DeliveryResult(True, 200)
    assert answers == []  # resolved once: checked, then connected to that very address
    [(_, _, headers, _)] = seen.requests
    assert headers["Host"] == f"hooks.test:{port}"


def test_tls_to_the_checked_address_still_verifies_the_certificate_for_the_name(
    tmp_path: Path,
) -> None:
    server_tls, client_tls = self_signed(tmp_path, "hooks.test")
    policy = EgressPolicy(LOCAL.allowed_networks, resolve=lambda host, port: ["127.0.0.1"])
    with http_server(tls=server_tls) as (port, seen):
        transport = GuardedTransport(policy, httpx.HTTPTransport(verify=client_tls))
        by_name = SignedWebhook(f"https://hooks.test:{port}/hook", "s", transport).send(MSG)
        transport = GuardedTransport(LOCAL, httpx.HTTPTransport(verify=client_tls))
        by_address = SignedWebhook(f"https://127.0.0.1:{port}/hook", "s", transport).send(MSG)
    assert by_name == DeliveryResult(True, 200)
    assert not by_address.ok and "certificate" in (by_address.error or "").lower()
    assert len(seen.requests) == 1


def test_a_redirect_is_not_followed_even_to_an_allowed_address() -> None:
    with http_server("127.0.0.2") as (target_port, target):
        location = {"Location": f"http://127.0.0.2:{target_port}/stolen"}
        with http_server(status=302, body=b"", headers=location) as (port, seen):
            both = EgressPolicy.from_allow_list("127.0.0.0/8")
            result = _webhook(f"http://127.0.0.1:{port}/hook", both)
    assert result == DeliveryResult(False, 302, "HTTP 302: ")
    assert len(seen.requests) == 1 and target.requests == []


def test_a_client_that_follows_redirects_has_each_hop_checked() -> None:
    with http_server("127.0.0.2") as (target_port, target):
        location = {"Location": f"http://127.0.0.2:{target_port}/stolen"}
        with (
            http_server(status=302, body=b"", headers=location) as (port, seen),
            httpx.Client(
                transport=GuardedTransport(LOCAL), follow_redirects=True, trust_env=False
            ) as client,
            pytest.raises(EgressRefused) as refused,
        ):
            client.get(f"http://127.0.0.1:{port}/")
    assert (refused.value.address, refused.value.kind) == ("127.0.0.2", "loopback")
    assert len(seen.requests) == 1 and target.requests == []


def _email(port: int, host: str, egress: EgressPolicy) -> DeliveryResult:
    config = {
        "host": host,
        "port": port,
        "sender": "alerts@shop.example",
        "recipients": ["ops@shop.example"],
    }
    return build_sender("email", config, None, egress=egress).send(MSG)


def test_smtp_to_a_loopback_host_is_refused_before_connecting() -> None:
    with smtp_server() as (port, received):
        result = _email(port, "localhost", STRICT)
    assert result == DeliveryResult(
        False, None, REFUSAL.format(host="localhost", address="127.0.0.1", kind="loopback")
    )
    assert received == []


def test_smtp_reaches_an_allow_listed_relay() -> None:
    with smtp_server() as (port, received):
        result = _email(port, "localhost", LOCAL)
    assert result == DeliveryResult(True)
    [data] = received
    assert b"To: ops@shop.example" in data
