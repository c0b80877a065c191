"""Finding articles: the query language, what the index stores per article, the search service,
snippets, and browsing the archive by edition and section."""
