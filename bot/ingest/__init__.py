"""Outside text → stored articles: operator files (pages, jsonl), the drop folder, admin uploads,
and the page parser that reads a newspaper page's plain text into articles."""
