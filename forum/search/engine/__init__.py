"""The engine under the query API: Whoosh, and the fast readers built on its internals.

``internals`` is the one module that touches Whoosh's private attributes; ``postings`` (block
reading) and ``scoring`` (cached segment arrays, BM25F) use Whoosh through it.
"""
