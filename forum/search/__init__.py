"""Full-text search (Danish analysis, outbox-fed Whoosh index): built in the search issue."""
