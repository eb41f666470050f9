"""Looking members up while writing: the suggestions behind the editor's @-autocomplete."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import User

bp = Blueprint("members", __name__)

SUGGESTIONS = 8
# Longer than any username (60) or display name worth typing after "@".
_MAX_PREFIX = 60


def _like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with ``text``", its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


@bp.route("/brugere/forslag")
def suggestions():  # type: ignore[no-untyped-def]
    """JSON list of up to 8 active members whose username or name starts with ``q``."""
    prefix = request.args.get("q", "").strip().lstrip("@")
    if not prefix or len(prefix) > _MAX_PREFIX:
        return jsonify([])
    # ilike folds case on PostgreSQL for all letters but on SQLite only for ASCII, so also
    # try the capitalised form: "øs" finds "Østergaard" on both.
    name_matches = User.display_name.ilike(
        _like_prefix(prefix), escape="\\"
    ) | User.display_name.like(_like_prefix(prefix[:1].upper() + prefix[1:]), escape="\\")
    members = db.session.scalars(
        select(User)
        .where(
            User.active,
            User.id != current_user.id,
            User.username.like(_like_prefix(prefix.lower()), escape="\\") | name_matches,
        )
        .options(joinedload(User.municipality))
        .order_by(User.username)
        .limit(SUGGESTIONS)
    ).all()
    return jsonify(
        [
            {
                "username": member.username,
                "display_name": member.display_name,
                "affiliation": member.affiliation,
            }
            for member in members
        ]
    )
