"""The page parser stays readable: no function with more than MAX_BRANCHES decision points.

Checked by parsing the source with ``ast`` (like tests/test_architecture.py), not by importing.
A branch is a place where the code can go two ways: ``if``/``elif``/``else``, a conditional
expression, a loop (and its ``else``), an ``except``, a ``match`` case, a comprehension's ``if``
and each extra operand of ``and``/``or``. Nested functions and methods are counted on their own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot" / "ingest" / "page_parser"
MAX_BRANCHES = 15

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def branch_count(function: ast.AST) -> int:
    """Decision points in one function's own body (nested functions excluded)."""
    count = 0
    pending = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        if isinstance(node, _NESTED):
            continue
        if isinstance(node, ast.If):
            # An elif is an If in orelse: counted when visited; a plain else counts here.
            count += 1 + bool(node.orelse and not _is_elif(node))
        elif isinstance(node, ast.For | ast.AsyncFor | ast.While):
            count += 1 + bool(node.orelse)
        elif isinstance(node, ast.IfExp | ast.ExceptHandler | ast.match_case):
            count += 1
        elif isinstance(node, ast.comprehension):
            count += len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
        pending.extend(ast.iter_child_nodes(node))
    return count


def _is_elif(node: ast.If) -> bool:
    return len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)


def functions(path: Path) -> Iterator[tuple[str, ast.AST]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node


def test_the_counter_sees_branches() -> None:
    source = (
        "def f(a, b):\n"
        "    if a:\n        pass\n    elif b:\n        pass\n    else:\n        pass\n"
        "    for x in a:\n        pass\n"
        "    return [y for y in b if y] and (1 if a else 2) or b\n"
        "    def g():\n        if a:\n            pass\n"
    )
    function = ast.parse(source).body[0]
    # if + elif + else, for, comprehension if, conditional expression, and + or; not g's if.
    assert branch_count(function) == 3 + 1 + 1 + 1 + 2


def test_the_package_exists() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 5


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_no_page_parser_function_has_more_than_fifteen_branches(path: Path) -> None:
    too_branchy = {
        name: count
        for name, function in functions(path)
        if (count := branch_count(function)) > MAX_BRANCHES
    }
    assert not too_branchy, f"split these functions up: {too_branchy}"
