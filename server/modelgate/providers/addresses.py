"""Addresses, not spellings: the one check for every URL the gateway forwards or fetches.

A host is read the way fetchers read it, so no spelling slips past: IPv6 in
brackets (an IPv4-mapped, IPv4-compatible, 6to4 or NAT64 address is judged by
the IPv4 address inside it), IPv4 by `socket.inet_aton`'s rules (decimal
`2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, shortened `127.1`), and
each reading of the host a parser might make (as written, percent-decoded,
IDNA-mapped as aiohttp sends it, so fullwidth digits are digits). An address
passes only when it is globally routable (`ipaddress`'s `is_global`) and not
multicast. Names are refused here only when they are local by definition; the
gateway resolves the names it fetches itself, checks every answer with
`address_refusal` and connects to the checked address (`image_fetch`).
"""

from __future__ import annotations

import ipaddress
import socket
import string
from typing import TypeAlias
from urllib.parse import unquote, urlsplit

import yarl

from modelgate.errors import quoted

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = frozenset({"localhost", "metadata.google.internal"})
_KINDS = ("loopback", "link_local", "unspecified", "multicast", "reserved", "private")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    inner = address.ipv4_mapped or address.sixtofour
    if inner is None and (address in _NAT64 or address in _IPV4_COMPATIBLE):
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address in _IPV4_COMPATIBLE and int(inner) <= 1:
            return address  # :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1
    return inner if inner is not None else address


def address_refusal(address: IPAddress) -> str | None:
    """Why the gateway must not reach `address` (None: a public address). The one check."""
    judged = embedded_ipv4(address)
    if judged.is_global and not judged.is_multicast:
        return None
    kind = next((k for k in _KINDS if getattr(judged, f"is_{k}")), "non-public").replace("_", "-")
    spelled = f"{address} is {kind}" if judged == address else f"{address} is {judged}, {kind}"
    return f"must not point at an internal address ({spelled})"


def host_address(host: str) -> IPAddress | None:
    """The address `host` spells (brackets already removed), or None for a name.

    Raises ValueError for a host that is neither: a malformed IPv6 literal, or one
    ending in a number that is no IPv4 address (`1.2.3.4.5`, `08.0.0.1`).
    """
    host = host.lower().rstrip(".")
    if ":" in host:
        return ipaddress.IPv6Address(host)
    if host.isascii():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            pass
    last = host.rsplit(".", 1)[-1]
    if last.isdecimal() or (last[:2] == "0x" and all(c in string.hexdigits for c in last[2:])):
        raise ValueError(f"{quoted(host)} is not an IPv4 address")
    return None


def host_refusal(host: str) -> str | None:
    """Why a URL host must be refused (None: a public address or a name to resolve)."""
    host = host.lower().rstrip(".")
    if not host:
        return "must name a host"
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return f"must not point at a local host ({quoted(host)})"
    try:
        address = host_address(host)
    except ValueError:
        return f"has a host that is neither a name nor an address ({quoted(host)})"
    return None if address is None else address_refusal(address)


def url_refusal(url: str, *, allow_private: bool = False) -> str | None:
    """Why an image URL must be refused before anything fetches or forwards it (None: fine).

    Characters that parsers disagree on (whitespace, control characters,
    backslashes) and user info are refused whole; `allow_private` (the operator's
    `limits.allow_private_image_urls`) skips only the host check.
    """
    if not url[:8].lower().startswith(("https://", "http://")):
        return "must be an http or https URL"
    if any(c.isspace() or c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "must not contain whitespace, control characters or backslashes"
    try:
        parts = urlsplit(url)
        mapped = yarl.URL(url).host or ""
    except ValueError:
        return "is not a valid URL"
    if "@" in parts.netloc:
        return "must not carry user info"
    if allow_private:
        return None
    written = parts.hostname or ""
    for host in dict.fromkeys((mapped, unquote(written), written)):
        refusal = host_refusal(host)
        if refusal is not None:
            return refusal
    return None
