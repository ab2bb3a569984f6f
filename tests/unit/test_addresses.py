"""Addresses, not spellings: every way of writing an internal address is refused.

`INTERNAL` and `PUBLIC` are the address-form table; tests/integration/test_image_urls.py
sends the same table through the public RPC on every path. Here it goes through
the one check (`url_refusal`) and the fetcher's pinning: names resolved by a stub
DNS, the connection made to the checked address, on loopback only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import AsyncIterator
from ipaddress import ip_address

import pytest
import yarl
from aiohttp import web

from modelgate.providers.addresses import host_address, url_refusal
from modelgate.providers.image_fetch import Fetched, ImageFetcher, Pinned, Refused, http_get
from tests.fakes.dns import StubResolver

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00pixels"

INTERNAL: dict[str, str] = {
    # loopback, every spelling
    "dotted": "http://127.0.0.1/a.png",
    "shortened": "http://127.1/a.png",
    "decimal": "http://2130706433/a.png",
    "hex": "http://0x7f000001/a.png",
    "octal": "http://0177.0.0.1/a.png",
    "mixed radix": "http://0x7f.0.0.01/a.png",
    "trailing dot": "http://127.0.0.1./a.png",
    "other loopback": "http://127.255.0.9:8080/a.png",
    "fullwidth digits": "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/a.png",
    "ideographic dots": "http://127。0。0。1/a.png",
    "IPv6 loopback": "http://[::1]/a.png",
    "IPv6 loopback long": "http://[0:0:0:0:0:0:0:1]/a.png",
    "IPv4-mapped": "http://[::ffff:127.0.0.1]/a.png",
    "IPv4-mapped hex": "http://[::ffff:7f00:1]/a.png",
    "IPv4-compatible": "http://[::127.0.0.1]/a.png",
    "NAT64": "http://[64:ff9b::7f00:1]/a.png",
    "6to4": "http://[2002:7f00:1::]/a.png",
    "localhost": "http://localhost:8080/a.png",
    "localhost any case": "http://LocalHost./a.png",
    "localhost subdomain": "http://api.localhost/a.png",
    # private networks
    "10/8": "http://10.1.2.3/a.png",
    "172.16/12": "http://172.16.0.1/a.png",
    "192.168/16": "http://192.168.0.10/a.png",
    "10/8 decimal": "http://167838211/a.png",
    "10/8 hex": "http://0xa010203/a.png",
    "10/8 mapped": "http://[::ffff:10.1.2.3]/a.png",
    "shared 100.64/10": "http://100.64.0.1/a.png",
    "IPv6 ULA fd00::/8": "http://[fd00::1]/a.png",
    "IPv6 ULA fc00::/8": "http://[fc00::1]/a.png",
    # link-local and cloud metadata
    "metadata": "http://169.254.169.254/latest/meta-data",
    "metadata decimal": "http://2852039166/latest/meta-data",
    "metadata hex": "http://0xa9fea9fe/latest/meta-data",
    "metadata mapped": "http://[::ffff:169.254.169.254]/latest/meta-data",
    "metadata name": "http://metadata.google.internal/computeMetadata/v1/",
    "IPv6 link-local": "http://[fe80::1]/a.png",
    "IPv6 link-local zone": "http://[fe80::1%25eth0]/a.png",
    # unspecified, multicast, broadcast
    "unspecified": "http://0.0.0.0/a.png",
    "unspecified short": "http://0/a.png",
    "IPv6 unspecified": "http://[::]/a.png",
    "multicast": "http://224.0.0.1/a.png",
    "broadcast": "http://255.255.255.255/a.png",
    # spellings parsers disagree on
    "number that is no address": "http://1.2.3.4.5/a.png",
    "octal 08": "http://08.0.0.1/a.png",
    "empty hex": "http://0x/a.png",
    "backslash": "http://127.0.0.1\\@example.com/a.png",
    "user info": "http://example.com@127.0.0.1/a.png",
    "space": "http://127.0.0.1 /a.png",
}
PUBLIC: dict[str, tuple[str, str]] = {
    # form: (URL, the address a fetch connects to)
    "dotted": ("https://93.184.216.34/cat.png", "93.184.216.34"),
    "dns.google": ("http://8.8.8.8/cat.png", "8.8.8.8"),
    "decimal": ("http://134744072/cat.png", "8.8.8.8"),
    "hex": ("http://0x08080808/cat.png", "8.8.8.8"),
    "IPv6": ("http://[2606:4700:4700::1111]/cat.png", "2606:4700:4700::1111"),
    # How a mapped address prints is the interpreter's choice (3.13 prints the IPv4 form).
    "IPv4-mapped public": ("http://[::ffff:8.8.8.8]/cat.png", str(ip_address("::ffff:8.8.8.8"))),
    "name": ("https://images.example.com/cat.png", "93.184.216.34"),
}
PUBLIC_DNS = {"images.example.com": [["93.184.216.34"]]}


@pytest.mark.parametrize("url", INTERNAL.values(), ids=INTERNAL.keys())
def test_every_spelling_of_an_internal_address_is_refused(url: str) -> None:
    assert url_refusal(url) is not None


@pytest.mark.parametrize("url", [u for u, _ in PUBLIC.values()], ids=PUBLIC.keys())
def test_public_addresses_and_names_are_accepted(url: str) -> None:
    assert url_refusal(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://2130706433/", "127.0.0.1 is loopback"),
        (
            "http://[::ffff:169.254.169.254]/",
            f"{ip_address('::ffff:169.254.169.254')} is 169.254.169.254, link-local",
        ),
        ("http://0/", "0.0.0.0 is unspecified"),
        ("ftp://example.com/a.png", "must be an http or https URL"),
    ],
)
def test_the_refusal_names_the_address_behind_the_spelling(url: str, why: str) -> None:
    refusal = url_refusal(url)
    assert refusal is not None
    assert why in refusal


def test_allowing_private_urls_skips_only_the_address_check() -> None:
    assert url_refusal("http://10.1.2.3/a.png", allow_private=True) is None
    assert url_refusal("file:///etc/passwd", allow_private=True) is not None
    assert url_refusal("http://u@10.1.2.3/", allow_private=True) is not None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("example.com", None),
    ],
)
def test_hosts_are_read_with_inet_aton_rules(host: str, address: str | None) -> None:
    expected = None if address is None else ipaddress.ip_address(address)
    assert host_address(host) == expected


# -- names the gateway fetches: resolved once, every answer checked, connection pinned --------


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.7"], ["169.254.169.254"], ["::1"], ["93.184.216.34", "127.0.0.1"]],
    ids=["private", "metadata", "IPv6 loopback", "one internal answer among public ones"],
)
async def test_a_name_resolving_to_an_internal_address_is_refused(answers: list[str]) -> None:
    fetcher = ImageFetcher(StubResolver({"cdn.example.com": [answers]}))
    with pytest.raises(Refused, match="must not point at an internal address"):
        await fetcher.pin("https://cdn.example.com/cat.png")


async def test_a_name_resolving_to_a_public_address_is_pinned_to_it() -> None:
    fetcher = ImageFetcher(StubResolver(PUBLIC_DNS))
    pinned = await fetcher.pin("https://images.example.com/cat.png")
    assert pinned.address == ipaddress.ip_address("93.184.216.34")
    assert pinned.url.host == "images.example.com", "Host header and TLS name stay the URL's"


async def test_a_legacy_literal_is_pinned_and_requested_in_canonical_form() -> None:
    pinned = await ImageFetcher(StubResolver({})).pin("http://0x08080808:8080/cat.png?x=1")
    assert (str(pinned.url), str(pinned.address)) == ("http://8.8.8.8:8080/cat.png?x=1", "8.8.8.8")


async def test_a_redirect_to_an_internal_address_is_refused() -> None:
    async def redirecting(pinned: Pinned, max_bytes: int) -> Fetched:
        return Fetched(302, location="http://169.254.169.254/latest/meta-data")

    fetcher = ImageFetcher(StubResolver(PUBLIC_DNS), redirecting)
    with pytest.raises(Refused, match=re.escape("169.254.169.254 is link-local")):
        await fetcher.fetch("https://images.example.com/cat.png")


@pytest.fixture
async def image_server() -> AsyncIterator[tuple[int, list[str]]]:
    """A loopback image server recording the Host header of each request."""
    hosts: list[str] = []

    async def image(request: web.Request) -> web.Response:
        hosts.append(request.headers["host"])
        return web.Response(body=PNG, content_type="image/png")

    app = web.Application()
    app.router.add_get("/cat.png", image)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield port, hosts
    finally:
        await runner.cleanup()


async def test_the_connection_goes_to_the_pinned_address_without_another_lookup(
    image_server: tuple[int, list[str]],
) -> None:
    port, hosts = image_server
    pinned = Pinned(
        yarl.URL(f"http://images.test:{port}/cat.png"), ipaddress.ip_address("127.0.0.1")
    )
    answer = await http_get(pinned, 1024)  # images.test exists in no DNS: only the pin answers
    assert (answer.status, answer.body) == (200, PNG)
    assert hosts == [f"images.test:{port}"]


async def test_a_rebinding_name_is_fetched_from_the_address_that_was_checked(
    image_server: tuple[int, list[str]],
) -> None:
    """Loopback stands in for "public" here (allow_private): the first answer is checked and
    used; the internal answer a second lookup would give is never asked for."""
    port, hosts = image_server
    dns = StubResolver({"images.test": [["127.0.0.1"], ["10.9.9.9"]]})
    fetcher = ImageFetcher(dns)
    body, mime = await fetcher.fetch(f"http://images.test:{port}/cat.png", allow_private=True)
    assert (body, mime) == (PNG, "image/png")
    assert dns.lookups == ["images.test"]
    assert hosts == [f"images.test:{port}"]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (Fetched(404), "could not be fetched (HTTP 404)"),
        (Fetched(200, b"<html>not an image</html>"), "is not one of image/png"),
        (Fetched(302, location="http://[::1"), "redirects to something that is not a URL"),
        (Fetched(302, location="/again.png"), "redirects more than 3 times"),
    ],
    ids=["not found", "not an image", "bad redirect", "redirect loop"],
)
async def test_a_fetch_that_yields_no_image_is_refused_saying_why(
    answer: Fetched, why: str
) -> None:
    async def transport(pinned: Pinned, max_bytes: int) -> Fetched:
        return answer

    fetcher = ImageFetcher(StubResolver(PUBLIC_DNS), transport)
    with pytest.raises(Refused, match=re.escape(why)):
        await fetcher.fetch("https://images.example.com/cat.png")


async def test_a_malformed_host_is_refused_even_where_private_hosts_are_allowed() -> None:
    with pytest.raises(Refused, match="neither a name nor an address"):
        await ImageFetcher(StubResolver({})).pin("http://1.2.3.4.5/a.png", allow_private=True)


async def test_an_image_over_the_byte_cap_is_refused(image_server: tuple[int, list[str]]) -> None:
    port, _hosts = image_server
    fetcher = ImageFetcher(StubResolver({"images.test": [["127.0.0.1"]]}), max_bytes=len(PNG) - 1)
    with pytest.raises(Refused, match=f"is larger than {len(PNG) - 1} bytes"):
        await fetcher.fetch(f"http://images.test:{port}/cat.png", allow_private=True)
