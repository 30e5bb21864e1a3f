"""Where lanshou may connect on a user's behalf: public Internet addresses only.

A shop owner types the URL of a webhook or the host of an SMTP server; without this guard the
"test" button would make the server connect to itself, to the office network or to the cloud
metadata service (server-side request forgery). Every outbound connection of the alert channels
goes through :class:`EgressPolicy`:

1. the host is resolved (numeric forms such as ``2130706433`` or ``0x7f.1`` resolve too);
2. every address it resolves to is classified; one refused address refuses the host;
3. the connection goes to the address that was checked, never to the name again, so a DNS
   answer that changes in between (DNS rebinding) cannot slip through. TLS keeps the name for
   SNI and certificate checks, HTTP keeps it in ``Host``.

Redirects are not followed by the senders; :class:`GuardedTransport` checks every request it is
given, so a client that follows them has each hop checked as well.

Operators who run an internal relay on purpose (an SMTP server at 10.0.0.25, a test server)
list it in ``LANSHOU_EGRESS_ALLOW`` (CIDRs or host names, comma-separated; empty by default).

    EgressRefused(Exception)    the host is, or resolves to, an address lanshou must not reach
    └── Unresolvable            the host name has no address at all
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

__all__ = [
    "EgressPolicy",
    "EgressRefused",
    "GuardedSMTP",
    "GuardedTransport",
    "Unresolvable",
    "classify",
    "guarded_smtp",
    "parse_allow_list",
    "public_only",
]

# Cloud instance metadata services: credentials live there. 169.254.169.254 (AWS, GCP, Azure,
# Tencent Cloud), fd00:ec2::254 (AWS IPv6), 100.100.100.200 (Alibaba Cloud), 192.0.0.192 (Oracle).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a NAT64 gateway forwards to the IPv4 inside


class EgressRefused(Exception):
    """The host is, or resolves to, an address alert channels must not reach."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        super().__init__(
            f"{host} resolves to {address}, a {kind.replace('_', '-')} address; "
            "alert channels may only reach public Internet addresses"
        )
        self.host, self.address, self.kind = host, address, kind


class Unresolvable(EgressRefused):
    """The host name has no address (a typo, or no DNS from this server)."""

    def __init__(self, host: str) -> None:
        Exception.__init__(self, f"{host} could not be resolved")
        self.host, self.address, self.kind = host, "", "unresolvable"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64, 6to4, Teredo)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def classify(address: IPAddress) -> str | None:
    """Why an address is refused ('loopback', 'private', …), or None for a public address."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return classify(inner)
    checks: tuple[tuple[str, bool], ...] = (
        ("metadata", address in METADATA),
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link_local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", address in SHARED),
        ("reserved", address.is_reserved),  # 240/4, unassigned IPv6 blocks
        ("private", address.is_private),  # RFC 1918, ULA fc00::/7, documentation ranges
        ("reserved", not address.is_global),  # whatever else IANA says is not routed
    )
    return next((kind for kind, hit in checks if hit), None)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system gives for ``host`` (as connect() would use them)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(host) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_allow_list(text: str) -> tuple[tuple[Network, ...], frozenset[str]]:
    """``"10.0.0.25/32, relay.corp"`` → (networks, host names); ValueError names a bad entry."""
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if not entry.replace("-", "").replace(".", "").isalnum():
                raise ValueError(f"{entry!r} is neither a CIDR nor a host name") from None
            hosts.add(entry.lower().rstrip("."))
    return tuple(networks), frozenset(hosts)


@dataclass(frozen=True)
class EgressPolicy:
    """Public addresses only, except what the operator allowed explicitly."""

    allowed_networks: tuple[Network, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    resolve: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_allow_list(cls, text: str) -> EgressPolicy:
        networks, hosts = parse_allow_list(text)
        return cls(networks, hosts)

    def _allowed(self, address: IPAddress) -> bool:
        candidates = [address, _embedded_ipv4(address)]
        return any(
            a is not None and a.version == n.version and a in n
            for a in candidates
            for n in self.allowed_networks
        )

    def vetted_addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and check every address; return them, or raise EgressRefused."""
        name = host.lower().rstrip(".").strip("[]")
        addresses = self.resolve(name, port)
        if not addresses:
            raise Unresolvable(host)
        if name in self.allowed_hosts:
            return addresses
        for text in addresses:
            address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone id
            kind = classify(address)
            if kind is not None and not self._allowed(address):
                raise EgressRefused(host, text, kind)
        return addresses

    def check_host(self, host: str, port: int) -> None:
        """Save-time check of an SMTP host; a name that does not resolve yet is let through
        (it is resolved and checked again at every send)."""
        try:
            self.vetted_addresses(host, port)
        except Unresolvable:
            return

    def check_url(self, url: str) -> None:
        """Save-time check of a channel URL's host, as :meth:`check_host`."""
        parsed = httpx.URL(url)
        self.check_host(parsed.host, parsed.port or _DEFAULT_PORTS[parsed.scheme])


_DEFAULT_PORTS = {"http": 80, "https": 443}


class GuardedTransport(httpx.BaseTransport):
    """An HTTP transport that connects only to checked addresses, pinned for the request."""

    def __init__(self, policy: EgressPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or _DEFAULT_PORTS.get(request.url.scheme, 443)
        address = self.policy.vetted_addresses(host, port)[0]
        # Connect to the checked address; the Host header was set from the name when the
        # request was built, and TLS is told the name for SNI and certificate checks.
        request.url = request.url.copy_with(host=address.split("%")[0])
        request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class GuardedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose socket goes to a checked address; STARTTLS still verifies the name
    (smtplib keeps the host it was given for ``server_hostname``)."""

    def __init__(self, policy: EgressPolicy, host: str = "", port: int = 0, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        address = self.policy.vetted_addresses(host, port)[0]
        return socket.create_connection((address, port), timeout, self.source_address)


def public_only() -> GuardedTransport:
    """The transport a channel gets when none is given: public addresses, no allow-list."""
    return GuardedTransport(EgressPolicy())


def guarded_smtp(policy: EgressPolicy) -> Callable[..., smtplib.SMTP]:
    """An ``smtplib.SMTP``-compatible factory bound to ``policy``."""

    def connect(host: str, port: int, **kwargs: Any) -> smtplib.SMTP:
        return GuardedSMTP(policy, host, port, **kwargs)

    return connect
