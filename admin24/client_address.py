"""The client's address, the one every rate limit and the login lockout key on.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's, so every client would share one bucket.
``X-Forwarded-For`` is read only when ``REMOTE_ADDR`` is one of ``settings.TRUSTED_PROXIES``
(addresses or networks): the header is walked from the right — each proxy appends the address
it was reached from — past the hops that are trusted proxies too, and the first one that is not
is the client. Whatever a client writes into the header itself stays to the left of that and is
never read. Without trusted proxies the header is ignored altogether.
"""

import functools
import ipaddress

from django.conf import settings

# What a limit keys on when the peer is no IP address at all (a Unix socket without a proxy header).
UNKNOWN = "0.0.0.0"  # noqa: S104 (an address to count by, not one to bind)


def client_address(request) -> str:
    """The address of the client that sent ``request``: always a valid IP address."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return UNKNOWN
    trusted = _trusted(tuple(settings.TRUSTED_PROXIES))
    if not _is_trusted(remote, trusted):
        return str(remote)
    nearest = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # written by someone untrusted: the nearest trusted hop is all that is known
        if not _is_trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)


def address_bucket(address: str) -> str:
    """The address limits count together: an IPv6 client usually holds a whole /64."""
    parsed = _address(address)
    if parsed is None or parsed.version == 4:
        return address
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)


def client_bucket(request) -> str:
    """``address_bucket`` of the client's address (the login lockout's per-address key)."""
    return address_bucket(client_address(request))


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.9:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket is written ::ffff:203.0.113.9.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@functools.lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple:
    networks = []
    for entry in entries:
        entry = entry.strip()
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or a network") from None
    return tuple(networks)


def _is_trusted(address, trusted: tuple) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
