"""Which receivers webhooks may go to: a guard against subscriptions aimed inside the service's network.

A webhook is a request the service makes to a URL that an admin typed in. Aimed at an address inside
the service's own network (the database on 127.0.0.1, a cloud's metadata service on 169.254.169.254,
an intranet host), it would let whoever holds an admin key make the service call what the outside
cannot reach (server-side request forgery). So by default a receiver must be on a public address:
checked when the subscription is made (a literal address, or a `localhost` name) and again before
every delivery (each address the name resolves to then, since a name can be repointed after the
subscription was made; redirects are never followed). The HTTP client resolves the name once more
when it connects, so a name that changes in the milliseconds between the two look-ups could still slip
through: an egress firewall for the service's hosts is the complete answer, and this guard the part the
service can do itself. One setting widens this and one narrows it:

- `webhook_private_receivers`: receivers on private, loopback, link-local and other non-public
  addresses are allowed (an ERP inside the company network);
- `webhook_allowed_hosts`: when set, only these hosts receive webhooks at all: a name as written
  (`erp.example.com`), or a domain with a leading dot for its subdomains too (`.example.com`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Final

import httpx

Resolver = Callable[[str, int], list[str]]  # (host, port) -> the addresses it stands for

PRIVATE_SETTING = "EXPORT_SCREEN_WEBHOOK_PRIVATE_RECEIVERS"
HOSTS_SETTING = "EXPORT_SCREEN_WEBHOOK_ALLOWED_HOSTS"


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, as the operating system resolves them (raises OSError if it cannot)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def refusal(url: str, *, allowed_hosts: Sequence[str], private: bool) -> str | None:
    """Why a receiver URL is refused, seen without a look-up (None: not refused)."""
    return _refusal(_host(httpx.URL(url)), allowed_hosts, private)


def refusal_after_lookup(url: str, *, allowed_hosts: Sequence[str], private: bool,
                         resolve: Resolver = system_resolver) -> str | None:
    """Why a delivery to this URL is refused now: as `refusal`, and every address its host resolves to
    must be public (unless private receivers are allowed)."""
    parsed = httpx.URL(url)
    host = _host(parsed)
    found = _refusal(host, allowed_hosts, private)
    if found is not None or private or _literal_address(host) is not None:
        return found  # (a literal address was judged by _refusal)
    try:
        addresses = resolve(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for text in addresses:
        why = _address_refusal(f"{host} ({text})", ipaddress.ip_address(text.split("%", 1)[0]))
        if why is not None:
            return why
    return None if addresses else f"cannot resolve {host}: no address"


def _host(url: httpx.URL) -> str:
    return url.host.lower().rstrip(".")


def _refusal(host: str, allowed_hosts: Sequence[str], private: bool) -> str | None:
    if allowed_hosts and not any(_matches(host, allowed.lower()) for allowed in allowed_hosts):
        return f"the host {host} is not in {HOSTS_SETTING}"
    if private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine; receivers must be public unless {PRIVATE_SETTING} is set"
    address = _literal_address(host)
    return None if address is None else _address_refusal(host, address)  # (a name: checked before delivery)


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _matches(host: str, allowed: str) -> bool:
    if allowed.startswith("."):
        return host == allowed[1:] or host.endswith(allowed)
    return host == allowed


def _address_refusal(shown: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else []
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if (mapped or address).is_global and all(part.is_global for part in inner) and address not in NAT64_LOCAL:
        return None
    return f"{shown} is not a public address; receivers must be public unless {PRIVATE_SETTING} is set"


NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: an IPv4 address in the last 32 bits
NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")  # a network's own translator: never public
IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")  # the deprecated ::a.b.c.d form


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries inside it: a translator or tunnel on the way delivers
    to them, so `64:ff9b::7f00:1` (NAT64), `2002:7f00:1::` (6to4), a Teredo address or `::ffff:127.0.0.1`
    reach 127.0.0.1 as surely as the plain form does."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (the Teredo server and the client behind it)
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found
