"""URL arguments that cannot hurt: bounded integers in paths and query strings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
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
    parts = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


class _Id:
    """The marker for the argument a ``UrlPattern`` fills in."""

    def __repr__(self) -> str:
        return "urls.ID"


ID: Any = _Id()
# Stands for the id while url_for builds: just below MAX_ID, digits no slug is likely to hold.
_PLACEHOLDER = 2_147_480_317


class UrlPattern:
    """One endpoint's URL for many ids: ``url_for`` once, then only the id changes.

    ``UrlPattern("topics.edit", post_id=ID)(7)`` is ``url_for("topics.edit", post_id=7)``, for
    a page that links to the same endpoint from each of its rows. ``url_for`` builds the URL
    once with a placeholder number in the request's context (so the application root,
    SCRIPT_NAME, is in it) and each call puts the id in its place: an integer is written the
    same way in a path and in a query string, and the arguments keep their order. Only for
    ``<int:...>`` arguments and integer query values. Should the placeholder's digits also
    appear elsewhere in the URL (a slug), every call uses ``url_for`` instead.
    """

    __slots__ = ("_endpoint", "_head", "_name", "_tail", "_values")

    def __init__(self, endpoint: str, **values: Any) -> None:
        names = [name for name, value in values.items() if value is ID]
        if len(names) != 1:
            raise TypeError("UrlPattern needs exactly one argument that is urls.ID")
        self._endpoint, self._name, self._values = endpoint, names[0], values
        url = url_for(endpoint, **{**values, self._name: _PLACEHOLDER})
        head, _, tail = url.partition(str(_PLACEHOLDER))
        self._head: str | None = head if url.count(str(_PLACEHOLDER)) == 1 else None
        self._tail = tail

    def __call__(self, value: int) -> str:
        """The URL with ``value`` as the id."""
        if self._head is None:
            return url_for(self._endpoint, **{**self._values, self._name: value})
        return f"{self._head}{int(value)}{self._tail}"
