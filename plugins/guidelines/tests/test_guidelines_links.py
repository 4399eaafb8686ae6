"""links: only the brand's domains (subdomains too), links found also without a scheme."""

from __future__ import annotations

import pytest
from careline_guidelines.links import find_links, host_matches
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACME = {"rules": {"links": {"allowed_domains": ["acme.com", "help.acme.com"]}}}


def links(findings):
    return [f for f in findings if f.rule == "links"]


@pytest.mark.parametrize(
    "text",
    [
        "See https://acme.com/returns ^JS",
        "See https://help.acme.com/a?b=c#d ^JS",
        "See shop.ACME.com/x. ^JS",
        "See www.acme.com ^JS",
        "Mail us at care@acme-help.com ^JS",
        "Thanks.No worries, Anna ^JS",
    ],
)
def test_allowed_or_no_links(check, text):
    assert links(check(text, config=ACME)) == []


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("See acme-help.com/x for more", "acme-help.com/x"),
        ("See https://acme.com.evil.io/login", "https://acme.com.evil.io/login"),
        ("See https://acme.com@evil.io/login", "https://acme.com@evil.io/login"),
        ("See (http://evilacme.com/a)", "http://evilacme.com/a"),
        ("Go to https: //www.other.org/help", "//www.other.org/help"[2:]),
        ("Try example.de", "example.de"),
    ],
)
def test_links_to_other_domains_are_blocked(check, text, link):
    [finding] = links(check(text, config=ACME))
    assert text[finding.span[0] : finding.span[1]] == link
    assert "acme.com" in finding.message


def test_shorteners_are_blocked_even_without_allowed_domains(check):
    text = "Details: bit.ly/3xYz and https://tinyurl.com/abc"
    findings = links(check(text))
    assert [text[f.span[0] : f.span[1]] for f in findings] == [
        "bit.ly/3xYz",
        "https://tinyurl.com/abc",
    ]
    assert all("hides where a link leads" in f.message for f in findings)


def test_any_domain_is_fine_without_allowed_domains(check):
    assert links(check("See example.org/help")) == []


def test_brand_tlds_are_recognised_without_scheme(check):
    config = {"rules": {"links": {"allowed_domains": ["acme.shop"]}}}
    assert links(check("See acme.shop/x and evil.shop", config=config))[0].span == (20, 29)


def test_bad_domain_in_config_names_the_key(make_settings, guidelines_pm):
    from careline.config import ConfigError

    config = make_settings({"rules": {"links": {"allowed_domains": ["https://acme.com/"]}}})
    with pytest.raises(ConfigError, match=r"guidelines\.rules\.links\.allowed_domains"):
        guidelines_pm.hook.careline_startup(settings=config)


def test_find_links_ignores_emails_mentions_and_sentences():
    text = "Hi @acme.com, mail a@b.com. Sorry.It is fine, e.g. v2.0 i.e. ok"
    assert find_links(text) == []


def test_internationalised_hosts_compare_in_ascii():
    assert host_matches("BÜCHER.de", ["xn--bcher-kva.de"])
    assert not host_matches("notacme.com", ["acme.com"])


_label = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=10)
_path = st.text(st.sampled_from("abcxyz0123/-_?=&#"), max_size=15)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sub=st.lists(_label, max_size=2),
    name=_label,
    tld=st.sampled_from(["com", "net", "org", "de", "io", "co.uk"]),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    path=_path,
)
def test_generated_links_are_found_and_judged_by_host(check, sub, name, tld, scheme, path):
    host = ".".join([*sub, name, tld])
    url = f"{scheme}{host}" + (f"/{path}" if path else "")
    text = f"Look at {url} now"
    [found] = find_links(text)
    # A question mark at the end is the sentence's, not the link's.
    assert (found.host, text[found.start : found.end]) == (host, url.rstrip("?"))
    allowed = name == "acme" and tld == "com"
    assert bool(links(check(text, config=ACME))) is not allowed
