"""URL arguments that cannot hurt: bounded integers in paths and query strings."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter

# Ids are 32-bit integers in both databases; a larger number in a URL is simply not found.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that stops at MAX_ID, so an absurd number is a 404 rather than a 500."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def page_number(value: str) -> int:
    """``request.args.get("page", 1, type=page_number)``: 1..MAX_PAGE, else the default."""
    number = int(value)
    if not 1 <= number <= MAX_PAGE:
        raise ValueError(value)
    return number


def post_number(value: str) -> int:
    """A post number or id from a query string or form: 1..MAX_ID, else the default."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site that is safe in a Location header, else None.

    Refused: other hosts (``//host``, ``https://…``, ``/\\host``, which browsers read as
    ``//host``) and control characters, which would split the header (CR/LF) or be dropped by
    the browser so that ``/\\t/host`` becomes ``//host``.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the forum's public address (``BASE_URL``), for e-mails and feeds.

    It does not depend on the request (there is none in a worker or a command), so a link is
    the same whoever or whatever writes it."""
    base = current_app.config["BASE_URL"]
    # The bound map is kept per address (a digest run or a page builds many links; binding
    # is most of a link's cost); a changed BASE_URL binds anew.
    adapters: dict[str, Any] = current_app.extensions.setdefault("forum.external_urls", {})
    adapter = adapters.get(base)
    if adapter is None:
        parts = urlsplit(base)
        adapter = adapters[base] = current_app.url_map.bind(
            parts.netloc,
            script_name=parts.path.rstrip("/") or "/",
            url_scheme=parts.scheme or "https",
        )
    return adapter.build(endpoint, values, force_external=True)


class _Marker:
    """A marker for an argument a ``UrlPattern`` fills in: ``ID`` (an integer) or ``SLUG``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"urls.{self._name}"


ID: Any = _Marker("ID")
# A string written the same everywhere in a URL: a slug or a username. Only URL-unreserved
# characters are put in as they are; any other value is built by url_for (which quotes it).
SLUG: Any = _Marker("SLUG")
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")
# Stand for the arguments while url_for builds: just below MAX_ID, digits no slug is likely to
# hold (a slug's stand-in is letters around them, so no stand-in is part of another).
_PLACEHOLDER = 2_147_480_317


class UrlPattern:
    """One endpoint's URL for many rows: ``url_for`` once, then only the arguments change.

    ``UrlPattern("topics.edit", post_id=ID)(7)`` is ``url_for("topics.edit", post_id=7)``, and
    ``UrlPattern("topics.show", slug=SLUG, topic_id=ID)("emne", 7)`` is
    ``url_for("topics.show", slug="emne", topic_id=7)``: the values in the order the markers
    are given. For a page that links to the same endpoint from each of its rows. ``url_for``
    builds the URL once with stand-ins in the request's context (so the application root,
    SCRIPT_NAME, is in it) and each call puts the values in their places: an integer, and a
    string of unreserved characters, are written the same in a path and in a query string, and
    the arguments keep their order. Should a stand-in appear in the URL other than once (a
    slug holding its digits), or a string need quoting, the call uses ``url_for`` instead.
    """

    __slots__ = ("_endpoint", "_names", "_one_id", "_order", "_parts", "_slugs", "_values")

    def __init__(self, endpoint: str, **values: Any) -> None:
        names = [name for name, value in values.items() if isinstance(value, _Marker)]
        if not names:
            raise TypeError("UrlPattern needs an argument that is urls.ID or urls.SLUG")
        self._endpoint, self._names, self._values = endpoint, names, values
        self._slugs = tuple(values[name] is SLUG for name in names)
        stand_ins = [
            f"zq{_PLACEHOLDER - i}zq" if slug else str(_PLACEHOLDER - i)
            for i, slug in enumerate(self._slugs)
        ]
        url = url_for(endpoint, **{**values, **dict(zip(names, stand_ins, strict=True))})
        self._parts: list[str] | None = None
        self._order: tuple[int, ...] = ()
        if all(url.count(stand_in) == 1 for stand_in in stand_ins):
            # The literal pieces between the stand-ins, and which value goes in each gap.
            where = sorted((url.index(s), i, s) for i, s in enumerate(stand_ins))
            parts, last = [], 0
            for at, _, stand_in in where:
                parts.append(url[last:at])
                last = at + len(stand_in)
            parts.append(url[last:])
            self._parts, self._order = parts, tuple(i for _, i, _ in where)
        self._one_id = self._parts is not None and self._slugs == (False,)

    def __call__(self, *values: Any) -> str:
        """The URL with ``values`` in the markers' places (in the order they were given)."""
        parts = self._parts
        if self._one_id and len(values) == 1:  # as on most rows
            return f"{parts[0]}{int(values[0])}{parts[1]}"  # type: ignore[index]
        if len(values) != len(self._names):
            raise TypeError(f"UrlPattern takes {len(self._names)} values")
        if parts is None:
            return self._url_for(values)
        written = []
        for value, slug in zip(values, self._slugs, strict=True):
            if not slug:
                written.append(str(int(value)))
            elif isinstance(value, str) and _UNRESERVED.fullmatch(value):
                written.append(value)
            else:  # a string url_for would quote
                return self._url_for(values)
        out = [parts[0]]
        for gap, index in enumerate(self._order, 1):
            out += (written[index], parts[gap])
        return "".join(out)

    def _url_for(self, values: tuple[Any, ...]) -> str:
        return url_for(
            self._endpoint, **{**self._values, **dict(zip(self._names, values, strict=True))}
        )


def pattern(endpoint: str, **values: Any) -> UrlPattern:
    """``UrlPattern(endpoint, **values)``, made once per request (a list's rows, a page's
    posts): the first call builds it in the request's context, later ones reuse it. Kept
    with the request itself (its WSGI environ), not ``g``, which a test's app context shares
    between requests."""
    if not has_request_context():
        return UrlPattern(endpoint, **values)
    made: dict[tuple[Any, ...], UrlPattern] = request.environ.setdefault("forum.url_patterns", {})
    key = (endpoint, *values.items())
    found = made.get(key)
    if found is None:
        found = made[key] = UrlPattern(endpoint, **values)
    return found
