"""Exceptions the domain raises and the blueprints turn into pages or form errors."""

from __future__ import annotations


class ForumError(Exception):
    """Base class: ``message`` is shown to the member (already translated or lazy)."""

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        # The form field the message belongs beside, when there is one.
        self.field = field


class NotAllowed(ForumError):
    """The member may not do this (403)."""


class NotFound(ForumError):
    """No such object, or one the member may not know exists (404)."""


class Invalid(ForumError):
    """Bad input: shown beside ``field`` with the member's text kept (400 or form error).

    ``also`` carries further problems found in the same input, so that a member sees every
    field that needs fixing at once rather than one per attempt.
    """

    def __init__(
        self, message: str = "", field: str | None = None, also: list[Invalid] | None = None
    ) -> None:
        super().__init__(message, field)
        self.also = also or []

    @classmethod
    def combine(cls, problems: list[Invalid]) -> Invalid:
        """One exception standing for several problems (the first leads)."""
        first, *rest = problems
        return cls(first.message, first.field, also=[*first.also, *rest])
