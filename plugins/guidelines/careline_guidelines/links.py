"""Finding links in a reply, also the ones written without a scheme (``acme-help.com/x``)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

_TOKEN = re.compile(r"[^\s<>\"`{}|\\^]+")
_LEADING = "([{<\"'«“‘/"
_TRAILING = ".,;:!?)]}>\"'»”’…"
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = re.compile(rf"^(?:{_LABEL}\.)+(?P<tld>[^\W\d_]{{2,63}}|xn--[a-z0-9-]+)\.?$", re.IGNORECASE)
# Country codes that are also everyday words: "Sorry.No worries" is not a link to sorry.no.
_WORD_LIKE_TLDS = frozenset(
    [
        "am",
        "as",
        "at",
        "be",
        "by",
        "do",
        "go",
        "hi",
        "id",
        "im",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "ok",
        "re",
        "so",
        "to",
        "us",
    ]
)


@dataclass(frozen=True, slots=True)
class Link:
    """A link found in a text: what was written, the host it leads to, and where it is."""

    text: str
    host: str
    start: int
    end: int


@functools.cache
def known_tlds() -> frozenset[str]:
    """The top-level domains recognised in links written without a scheme."""
    source = resources.files("careline_guidelines").joinpath("data/tlds.txt").read_text("utf-8")
    words = (
        word.lower()
        for line in source.splitlines()
        if not line.lstrip().startswith("#")
        for word in line.split()
    )
    return frozenset(words)


def normalise_host(host: str) -> str:
    """Lower-case, without a trailing dot, internationalised names in their ASCII form."""
    host = host.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def host_matches(host: str, domains: Iterable[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one."""
    host = normalise_host(host)
    for domain in domains:
        domain = normalise_host(domain)
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _trim(token: str, start: int) -> tuple[str, int]:
    while token and token[0] in _LEADING:
        token, start = token[1:], start + 1
    while token and token[-1] in _TRAILING:
        # Keep a closing parenthesis that belongs to the link (Wikipedia-style URLs).
        if token[-1] == ")" and token.count("(") >= token.count(")"):
            break
        token = token[:-1]
    return token, start


def _host_of(url: str) -> str | None:
    try:
        host = urlsplit(url if _SCHEME.match(url) else "//" + url).hostname
    except ValueError:
        return None
    return normalise_host(host) if host else None


def _looks_like_bare_domain(candidate: str, extra_tlds: frozenset[str]) -> bool:
    host_part = re.split(r"[/?#:]", candidate, maxsplit=1)[0]
    match = _HOST.match(host_part)
    if not match:
        return False
    tld = match.group("tld")
    if host_part.lower().startswith("www."):
        return True
    if tld.lower() in extra_tlds:
        return True
    if tld.lower() not in known_tlds():
        return False
    has_path = len(candidate) > len(host_part)
    if has_path:
        return True
    return tld == tld.lower() and tld not in _WORD_LIKE_TLDS


def find_links(text: str, extra_tlds: Iterable[str] = ()) -> list[Link]:
    """Every link in ``text``: with a scheme, starting with ``www.``, or a bare domain.

    E-mail addresses and @mentions are not links. ``extra_tlds`` adds top-level domains to
    recognise without a scheme (the brand's own, e.g. ``"acme"`` for ``help.acme``).
    """
    extra = frozenset(tld.lower() for tld in extra_tlds)
    links: list[Link] = []
    for token_match in _TOKEN.finditer(text):
        token, start = _trim(token_match.group(), token_match.start())
        if not token:
            continue
        scheme = _SCHEME.search(token)
        if scheme:
            candidate, start = token[scheme.start() :], start + scheme.start()
        else:
            candidate = token
            before_path = re.split(r"[/?#]", candidate, maxsplit=1)[0]
            if "@" in before_path or not _looks_like_bare_domain(candidate, extra):
                continue
        host = _host_of(candidate)
        if host:
            links.append(Link(candidate, host, start, start + len(candidate)))
    return links
