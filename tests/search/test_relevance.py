"""Relevance, measured: Danish corpora with queries and the topics each query must find.

Two sets, each a ``corpus.jsonl`` and a ``queries.json``:

- ``tests/search/`` (``tuned``): written with the analyzer, the one its word list grew from;
- ``tests/search/heldout/`` (``heldout``): written blind to the analyzer and its word lists (see
  its README), so that it measures the Danish lexicon rather than the tuning. Its compound
  queries are parts that never stand alone in its text (*katalog* only in
  *nøgletalskataloget*). Never tune the analyzer to it; a query that is plainly wrong goes back
  to its author.

Reports recall@5 (the share of the expected topics found in the first five results) and mean
reciprocal rank (1 / the rank of the first expected topic, averaged over queries), overall and
per category of query.

Thresholds, on each set: recall@5 >= 0.95 overall and >= 0.90 in every category, MRR >= 0.80.
Every query is answerable by a Danish-aware keyword search, so a good engine finds nearly all
of them; the margin is for the single-word queries, where several topics rightly compete for
the first places. A change that breaks stemming, folding or compounds for one category costs
that category far more than its margin.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from forum.extensions import db
from forum.imports import import_lines

HERE = Path(__file__).parent
SETS = {"tuned": HERE, "heldout": HERE / "heldout"}
MIN_RECALL_AT_5 = 0.95
MIN_CATEGORY_RECALL_AT_5 = 0.90
MIN_MRR = 0.80


def _queries(name: str) -> list[dict]:
    return json.loads((SETS[name] / "queries.json").read_text("utf-8"))


@pytest.fixture(params=sorted(SETS))
def relevance_set(request, searcher):
    """(name, queries, searcher over that set's corpus, imported into an empty database)."""
    name = request.param
    with (SETS[name] / "corpus.jsonl").open(encoding="utf-8") as lines:
        report = import_lines(db.session, lines)
    assert not report.errors, report.errors
    db.session.commit()
    searcher.rebuild()
    return name, _queries(name), searcher


@pytest.mark.parametrize("name", sorted(SETS))
def test_set_is_big_enough(name):
    lines = (SETS[name] / "corpus.jsonl").read_text("utf-8").splitlines()
    topics = [json.loads(line) for line in lines]
    queries = _queries(name)
    assert sum(len(t["posts"]) for t in topics) >= 150
    assert len(queries) >= 40
    titles = {t["title"] for t in topics}
    for query in queries:  # an expected title that is not in the corpus could never be found
        assert set(query["relevant"]) <= titles, query


def test_relevance(relevance_set, capsys):
    name, queries, searcher = relevance_set
    recalls, reciprocal, by_kind = [], [], defaultdict(list)
    misses = []
    for query in queries:
        found = searcher.titles(query["q"])[:5]
        expected = query["relevant"]
        recall = len(set(found) & set(expected)) / len(expected)
        ranks = [found.index(title) + 1 for title in expected if title in found]
        rr = 1 / min(ranks) if ranks else 0.0
        recalls.append(recall)
        reciprocal.append(rr)
        by_kind[query["covers"]].append((recall, rr))
        if recall < 1:
            misses.append(f"  {query['q']!r}: expected {expected}, got {found}")
    recall_at_5 = sum(recalls) / len(recalls)
    mrr = sum(reciprocal) / len(reciprocal)
    categories = {
        kind: (len(values), sum(v[0] for v in values) / len(values))
        for kind, values in by_kind.items()
    }
    with capsys.disabled():
        print(
            f"\nrelevance, {name} set, {len(queries)} queries: "
            f"recall@5 {recall_at_5:.3f}, MRR {mrr:.3f}"
        )
        for kind, values in sorted(by_kind.items()):
            m = sum(v[1] for v in values) / len(values)
            count, r = categories[kind]
            print(f"  {kind:20} {count:3} queries  recall@5 {r:.2f}  MRR {m:.2f}")
        if misses:
            print("not fully found:\n" + "\n".join(misses))
    assert recall_at_5 >= MIN_RECALL_AT_5
    weak = {
        kind: round(r, 2) for kind, (_, r) in categories.items() if r < MIN_CATEGORY_RECALL_AT_5
    }
    assert not weak, f"categories below {MIN_CATEGORY_RECALL_AT_5}: {weak}"
    assert mrr >= MIN_MRR
