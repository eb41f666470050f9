"""Search: /search (the page), /search.json (the same results as JSON), and the page of a
file a search lands on (/filer/<id>/side/<n>: that page's text, the words searched marked)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from forum import files
from forum.extensions import db
from forum.extract import Part, part_label
from forum.markup import highlighted
from forum.models import AttachmentPart
from forum.search import search_index
from forum.search.query import (
    MAX_PAGE,
    Hit,
    Places,
    Results,
    parse,
    refine,
    results_json,
    search,
)
from forum.search.snippets import MAX_HIGHLIGHT_CHARS, whole_text_marks
from forum.urls import page_number

bp = Blueprint("search", __name__)


def _run() -> tuple[Results, Places]:
    text = request.args.get("q", "")[:500]
    page = min(request.args.get("page", 1, type=page_number) or 1, MAX_PAGE)
    sort = request.args.get("sort", "relevance")
    places = Places.load(db.session)
    if not text.strip():
        return Results(query=parse(text, places)), places
    results = search(
        db.session, search_index(), current_user, text, page=page, sort=sort, places=places
    )
    return results, places


@bp.route("/search")
def page():  # type: ignore[no-untyped-def]
    results, places = _run()

    def refine_url(name: str, value: str) -> str:
        return url_for(
            "search.page", q=refine(results.query.text, name, value, places), sort=results.sort
        )

    return render_template(
        "search/results.html",
        results=results,
        refine_url=refine_url,
        file_part_url=file_part_url,
    )


@bp.route("/search.json")
def as_json():  # type: ignore[no-untyped-def]
    results, _ = _run()
    return jsonify(
        {
            "query": results.query.text,
            "total": results.total,
            "posts": results.posts,
            "estimated": results.estimated,
            "page": results.page,
            "pages": results.pages,
            "sort": results.sort,
            "some_words": results.some_words,
            "suggestion": results.suggestion,
            "notices": results.query.notices,
            "results": [
                {**row, **_details(hit)}
                for row, hit in zip(results_json(results)["results"], results.hits, strict=True)
            ],
            "facets": {
                facet.name: [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in facet.values
                ]
                for facet in results.facets
            },
        }
    )


def _details(hit: Hit) -> dict:  # type: ignore[type-arg]
    """What the page shows of a hit besides the CLI's fields."""
    if hit.file is not None:
        attachment = hit.file.attachment
        author, created, kind = attachment.uploader, attachment.created_at, "bilag"
        url = file_part_url(hit)
    else:
        assert hit.post is not None
        author, created, kind = hit.post.author, hit.post.created_at, hit.topic.kind
        url = url_for(
            "topics.permalink", slug=hit.topic.slug, topic_id=hit.topic.id, number=hit.post.number
        )
    return {
        "url": url,
        "other_matches": hit.other_matches,
        "region": hit.topic.region.slug,
        "theme": hit.topic.theme.slug,
        "kind": kind,
        "municipality": author.municipality.slug if author.municipality else None,
        "author": author.username,
        "created_at": created.isoformat() + "Z",
    }


def file_part_url(hit: Hit) -> str:
    """Where a file's hit leads: its page, with the words searched for marked."""
    assert hit.file is not None
    return url_for(
        "search.file_part",
        attachment_id=hit.file.attachment.id,
        number=hit.file.number,
        q=request.args.get("q", "")[:500] or None,
    )


@bp.route("/filer/<int:attachment_id>/side/<int:number>")
def file_part(attachment_id: int, number: int):  # type: ignore[no-untyped-def]
    """One page (slide, sheet) of a file as text, readable on a phone without downloading
    the file, with a link that opens the file itself at that page where the format allows."""
    attachment = files.get_attachment(db.session, current_user, attachment_id)
    numbers = list(
        db.session.scalars(
            select(AttachmentPart.number)
            .where(AttachmentPart.attachment_id == attachment.id)
            .order_by(AttachmentPart.number)
        )
    )
    if number not in numbers:
        abort(404)
    # What the page shows of it (a page may hold megabytes of text): read no more.
    part = db.session.execute(
        select(
            AttachmentPart.number,
            AttachmentPart.unit,
            func.substr(AttachmentPart.text, 1, MAX_HIGHLIGHT_CHARS + 1).label("text"),
        ).where(AttachmentPart.attachment_id == attachment.id, AttachmentPart.number == number)
    ).one()
    text = part.text[:MAX_HIGHLIGHT_CHARS]
    query = request.args.get("q", "")[:500]
    terms = parse(query, Places.load(db.session)).highlight_terms() if query.strip() else set()
    at = numbers.index(number)
    return render_template(
        "search/file_part.html",
        attachment=attachment,
        part=part,
        label=part_label(Part(number=part.number, unit=part.unit, text="")),
        text=highlighted(text, [(0, len(text), whole_text_marks(text, terms))]),
        cut=len(part.text) > MAX_HIGHLIGHT_CHARS,
        previous=numbers[at - 1] if at > 0 else None,
        following=numbers[at + 1] if at + 1 < len(numbers) else None,
        query=query,
        # A browser's PDF viewer opens the file at the page the fragment names.
        page_fragment=f"page={number}" if attachment.kind == "pdf" else None,
    )
