"""The installed version, read from the package metadata so it is written in one place
(pyproject.toml); ``newsbrief --version``, ``doctor`` and the admins' /status show it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "newsbrief"
UNKNOWN_VERSION = "unknown"


def package_version() -> str:
    """``0.1.0`` when installed (also editable); ``unknown`` when run from a bare checkout."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN_VERSION
