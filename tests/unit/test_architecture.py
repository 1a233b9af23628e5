"""Meta-tests of the code's shape: one-way layers, no import cycle, small functions, every
subcommand complete (system/test_shipping.py checks the README's settings table against code)."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands.registry import BY_WORD, SUBCOMMANDS
from tests.conftest import PROJECT

BOT = PROJECT / "bot"
MAX_FUNCTION_LINES = 60
# Data flows one way: a module may import from its own layer or the layers below, never above.
LAYERS = [
    ("bot.clock", "bot.settings", "bot.knowledge"),
    ("bot.queries", "bot.rendering", "bot.search"),
    # Adapters to the outside world (the ledger, Slack's Web API client) sit below the commands.
    ("bot.reminders", "bot.slack.client", "bot.slack.installs"),
    # The curator's workbench: files and HTML from the digest, beside the commands.
    ("bot.commands", "bot.curation"),
    ("bot.pipeline", "bot.answer_files", "bot.slack.replies"),
    ("bot.services",),
    ("bot.slack",),
    ("bot.serve", "bot.cli"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def bot_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def imports_of(path: Path, packages: tuple[str, ...] = ("bot",)) -> Iterator[str]:
    """Every module of `packages` (bot/ unless told) that `path` imports, wherever the import
    stands (functions and TYPE_CHECKING blocks included)."""
    known = bot_modules()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bot.x import y` is module bot.x.y when that is a module, else bot.x.
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                for a in node.names
            ]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in packages)


def import_graph() -> dict[str, set[str]]:
    return {name: set(imports_of(path)) for name, path in bot_modules().items()}


def layer_of(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_no_import_cycle_among_the_modules_of_bot() -> None:
    graph = import_graph()
    assert len(graph) > 40
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if state.get(target) is None and target in graph:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_imports_flow_one_way_through_the_layers() -> None:
    upward = []
    for module, targets in import_graph().items():
        rank = layer_of(module)
        if rank is None:
            continue
        for target in targets:
            target_rank = layer_of(target)
            if target_rank is not None and target_rank > rank:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_test_support_and_benchmarks_never_import_the_tests() -> None:
    for path in [*(PROJECT / "testkit").rglob("*.py"), *(PROJECT / "bench").rglob("*.py")]:
        assert not re.search(r"^\s*(from|import) tests\b", path.read_text(), re.M), path


def test_the_product_never_imports_the_test_support_the_tests_or_the_benchmarks() -> None:
    # testkit/, tests/ and bench/ are not in the wheel: an import of one would fail installed.
    found = [
        f"{module} -> {target}"
        for module, path in bot_modules().items()
        for target in imports_of(path, ("testkit", "tests", "bench"))
    ]
    assert found == []


def test_no_function_in_bot_is_over_sixty_lines() -> None:
    long = []
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{module_name(path)}.{node.name}: {length} lines")
    assert long == []


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_a_handler_a_template_and_help(name: str) -> None:
    command = SUBCOMMANDS[name]
    module = importlib.import_module(command.module)
    assert callable(module.handle)
    assert (PROJECT / "templates" / command.template).is_file()
    usage = PROJECT / "templates" / command.usage_template
    assert usage.is_file() and f"/sco {name}" in usage.read_text()


def test_subcommand_words_are_unique() -> None:
    words = [w for c in SUBCOMMANDS.values() for w in (c.name, *c.aliases)]
    assert len(words) == len(set(words)) == len(BY_WORD)
