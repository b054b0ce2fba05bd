"""The client's address, as far as it can be trusted, as the subject of per-client limits.

``X-Forwarded-For`` is believed only when the direct peer is one of ``TRUSTED_PROXIES``
(addresses or networks): then the entries our proxies appended are skipped from the right
and the first address that is not a proxy is the client (when every entry is in a trusted
range, the leftmost: a client on the proxies' own network). A client reaching the app directly
cannot forge one. IPv6 clients are grouped by their /``CLIENT_IPV6_PREFIX`` network (64 by
default): one subscriber usually holds a whole /64, and one address per request is free.
"""

import functools
import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(proxies: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def client_address(request: HttpRequest) -> Address | None:
    """The client's address: the peer, or the first untrusted hop our proxies recorded."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))
    if peer is None or not _trusted(peer, proxies):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    furthest = peer
    for hop in reversed(forwarded.split(",")):
        address = _address(hop)
        if address is None:
            return peer  # a hop our proxy did not write: believe nothing further left
        if not _trusted(address, proxies):
            return address
        furthest = address
    # Every hop is in a trusted range: the client is one of those addresses itself (say, on
    # the intranet behind a proxy that trusts the private ranges), the one furthest from us.
    return furthest


def client_ip(request: HttpRequest) -> str:
    """The client as per-IP limits see it: an IPv4 address, or an IPv6 network."""
    address = client_address(request)
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and not address.is_loopback:
        prefix = settings.CLIENT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return str(address)


# A client's network: what a session remembers of where it came from (never the address), and
# the subject of the per-network daily SMS budget (core/limits.py, sms_per_network_day).
IPV4_KEPT_PREFIX = 24
IPV6_KEPT_PREFIX = 48


def client_network(client: str) -> str:
    """``client_ip``'s answer made coarse to store: an IPv4 /24 or an IPv6 /48 ('' if unknown)."""
    try:
        network = ipaddress.ip_network(client, strict=False)
    except ValueError:
        return ""
    prefix = IPV4_KEPT_PREFIX if network.version == 4 else IPV6_KEPT_PREFIX
    return str(network.supernet(new_prefix=min(prefix, network.prefixlen)))
