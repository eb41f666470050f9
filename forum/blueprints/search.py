"""Search: /search (the page) and /search.json (the same results as JSON)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from forum.extensions import db
from forum.search import search_index
from forum.search.query import MAX_PAGE, Places, Results, parse, refine, results_json, search
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

    return render_template("search/results.html", results=results, refine_url=refine_url)


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


def _details(hit) -> dict:  # type: ignore[no-untyped-def]
    """What the page shows of a hit besides the CLI's fields."""
    municipality = hit.post.author.municipality
    return {
        "url": url_for(
            "topics.permalink", slug=hit.topic.slug, topic_id=hit.topic.id, number=hit.post.number
        ),
        "other_matches": hit.other_matches,
        "region": hit.topic.region.slug,
        "theme": hit.topic.theme.slug,
        "kind": hit.topic.kind,
        "municipality": municipality.slug if municipality else None,
        "author": hit.post.author.username,
        "created_at": hit.post.created_at.isoformat() + "Z",
    }
