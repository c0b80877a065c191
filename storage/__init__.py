"""Storage: SQLAlchemy models, the engine and its transactions (:mod:`.database`), one repository
per aggregate, the search index for SQLite and PostgreSQL, and the Alembic migrations — the only
package that writes SQL. Callers import the module they need (``storage.database``,
``storage.articles``, …); nothing is re-exported, so importing one module loads only what it
needs."""
