"""A subset of X's search query language, enough for listening queries.

Supported: keywords (whole words, case-insensitive), ``"exact phrases"``, ``@user``, ``#tag``,
``from:``, ``to:``, ``lang:``, ``is:retweet``, ``is:reply``, ``is:quote``, ``has:media``,
space as AND, ``OR``, parentheses and ``-`` negation, e.g.
``("acme" OR @acme) -from:acme -is:retweet``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = re.compile(r'\s*(\(|\)|-?"[^"]*"|"|[^\s()"]+)')

Predicate = Callable[["Candidate"], bool]


class QueryError(ValueError):
    """The query is not valid X search syntax (the API answers 400)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a query is matched against: a post and the usernames around it."""

    text: str
    author: str
    lang: str
    mentioned: frozenset[str]
    reply_to_user: str | None
    is_retweet: bool
    is_reply: bool
    is_quote: bool
    has_media: bool


def compile_query(query: str) -> Predicate:
    """Compile ``query`` into a predicate over :class:`Candidate` posts."""
    tokens = _tokenize(query)
    if not tokens:
        raise QueryError("the query is empty")
    parser = _Parser(tokens)
    predicate = parser.parse_or()
    if parser.position != len(tokens):
        raise QueryError(f"unexpected {tokens[parser.position]!r} in the query")
    return predicate


def _tokenize(query: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(query):
        match = TOKEN.match(query, position)
        if match is None or match.end() == position:
            break
        lexeme = match.group(1)
        if lexeme == '"':
            raise QueryError("an exact phrase is missing its closing quote")
        tokens.append(lexeme)
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def parse_or(self) -> Predicate:
        options = [self.parse_and()]
        while self._peek() == "OR":
            self.position += 1
            options.append(self.parse_and())
        if len(options) == 1:
            return options[0]
        return lambda post: any(option(post) for option in options)

    def parse_and(self) -> Predicate:
        parts: list[Predicate] = []
        while (token := self._peek()) is not None and token not in (")", "OR"):
            parts.append(self.parse_unary())
        if not parts:
            raise QueryError("an operator or keyword is missing")
        return lambda post: all(part(post) for part in parts)

    def parse_unary(self) -> Predicate:
        lexeme = self._peek()
        assert lexeme is not None
        if lexeme == "-":
            self.position += 1
            if self._peek() is None:
                raise QueryError("nothing to negate after '-'")
            inner = self.parse_unary()
            return lambda post: not inner(post)
        if lexeme.startswith("-") and len(lexeme) > 1:
            self.position += 1
            inner = _atom(lexeme[1:])
            return lambda post: not inner(post)
        if lexeme == "(":
            self.position += 1
            inner = self.parse_or()
            if self._peek() != ")":
                raise QueryError("a parenthesis is not closed")
            self.position += 1
            return inner
        if lexeme == ")":
            raise QueryError("a closing parenthesis has no opening one")
        self.position += 1
        return _atom(lexeme)


def _atom(token: str) -> Predicate:
    lowered = token.lower()
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        phrase = token[1:-1].lower()
        return lambda post: phrase in post.text.lower()
    if lowered.startswith("@") and len(token) > 1:
        name = lowered[1:]
        return lambda post: name in post.mentioned or f"@{name}" in post.text.lower()
    if lowered.startswith("#") and len(token) > 1:
        tag = re.compile(rf"(?<!\w){re.escape(lowered)}(?!\w)")
        return lambda post: bool(tag.search(post.text.lower()))
    operator, colon, value = lowered.partition(":")
    if colon and value:
        return _operator(operator, value)
    word = re.compile(rf"(?<!\w){re.escape(lowered)}(?!\w)")
    return lambda post: bool(word.search(post.text.lower()))


def _operator(operator: str, value: str) -> Predicate:
    if operator == "from":
        return lambda post: post.author == value.lstrip("@")
    if operator == "to":
        return lambda post: post.reply_to_user == value.lstrip("@")
    if operator == "lang":
        return lambda post: post.lang == value
    if operator == "is":
        flags: dict[str, Predicate] = {
            "retweet": lambda post: post.is_retweet,
            "reply": lambda post: post.is_reply,
            "quote": lambda post: post.is_quote,
        }
        if value not in flags:
            raise QueryError(f"is:{value} is not a supported operator")
        return flags[value]
    if operator == "has":
        if value != "media":
            raise QueryError(f"has:{value} is not a supported operator")
        return lambda post: post.has_media
    raise QueryError(f"{operator}: is not a supported operator")
