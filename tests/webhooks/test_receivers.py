"""Which receivers webhooks may go to: public addresses only, unless the settings open it up."""

from __future__ import annotations

import pytest

from service.webhooks.receivers import refusal, refusal_after_lookup, system_resolver


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5432/",  # the database on this machine
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://10.1.2.3/hook", "http://172.16.0.9/hook", "http://192.168.1.20/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://[fd00::1]/hook", "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4 mapped into IPv6
    "http://[64:ff9b::7f00:1]/hook", "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 to 127.0.0.1, 169.254.169.254
    "http://[64:ff9b:1::808:808]/hook",  # a local NAT64 prefix, whatever it embeds
    "http://[2002:7f00:1::1]/hook", "http://[2002:c0a8:114::]/hook",  # 6to4 of 127.0.0.1, 192.168.1.20
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo (client 127.0.0.1)
    "http://[::127.0.0.1]/hook", "http://[::a00:5]/hook",  # IPv4-compatible forms of 127.0.0.1, 10.0.0.5
    "http://0.0.0.0/hook",
    "http://localhost:8000/hook", "http://erp.localhost/hook", "http://LOCALHOST./hook",
])
def test_addresses_inside_the_network_are_refused(url: str) -> None:
    why = refusal(url, allowed_hosts=[], private=False)
    assert why is not None and "EXPORT_SCREEN_WEBHOOK_PRIVATE_RECEIVERS" in why
    assert refusal(url, allowed_hosts=[], private=True) is None  # unless receivers inside it are allowed


@pytest.mark.parametrize("url", ["https://erp.example.com/hooks", "http://93.184.215.14/hook",
                                 "https://[2606:4700::1111]/hook",
                                 "http://[64:ff9b::5db8:d70e]/hook",  # NAT64 to the public 93.184.215.14
                                 "http://[2002:5db8:d70e::1]/hook"])  # 6to4 of the same
def test_public_receivers_are_allowed(url: str) -> None:
    assert refusal(url, allowed_hosts=[], private=False) is None


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://erp.example.com/h", True), ("https://ERP.Example.com./h", True),
    ("https://eu.erp.example.com/h", True),  # under ".erp.example.com"
    ("https://example.com/h", False), ("https://erp.example.com.evil.net/h", False),
    ("https://evilerp.example.com/h", False), ("https://mail.example.org/h", False),
])
def test_an_allow_list_names_the_only_receivers(url: str, allowed: bool) -> None:
    why = refusal(url, allowed_hosts=["erp.example.com", ".erp.example.com", "Hooks.Example.ORG"], private=False)
    assert (why is None) is allowed
    if not allowed:
        assert why is not None and "EXPORT_SCREEN_WEBHOOK_ALLOWED_HOSTS" in why


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    url = "https://erp.example.com/hooks"

    def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
        return lambda host, port: list(addresses)

    assert refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=resolving_to("93.184.215.14")) is None
    why = refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=resolving_to("64:ff9b::a00:5"))
    assert why is not None and "(64:ff9b::a00:5) is not a public address" in why  # NAT64 of 10.0.0.5
    why = refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=resolving_to("93.184.215.14", "10.0.0.5"))
    assert why is not None and "erp.example.com (10.0.0.5) is not a public address" in why
    assert refusal_after_lookup(url, allowed_hosts=[], private=True, resolve=resolving_to("10.0.0.5")) is None
    assert "no address" in (refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=resolving_to()) or "")

    def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    why = refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=failing)
    assert why == "cannot resolve erp.example.com: Name or service not known"


def test_numeric_host_forms_resolve_to_what_they_stand_for() -> None:
    # "2130706433" and "0x7f.1" are 127.0.0.1 to the resolver, whatever they look like as names
    for url in ("http://2130706433/hook", "http://0x7f.1/hook"):
        assert refusal(url, allowed_hosts=[], private=False) is None  # not a literal address to ipaddress
        why = refusal_after_lookup(url, allowed_hosts=[], private=False, resolve=system_resolver)
        assert why is not None and "127.0.0.1" in why
