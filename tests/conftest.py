"""Shared fixtures: paths to fixtures and to the optional shared corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
# The larger real corpora live beside the project, not in it; tests that need them skip cleanly.
SHARED_DATA = TESTS_DIR.parent.parent / "shared" / "data"
CORPORA = SHARED_DATA / "corpora"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def corpora_dir() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/data/corpora is not present")
    return CORPORA
