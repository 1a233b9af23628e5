"""The tests mirror the code: a module's tests are found by its path, never by grep.

The tests of `bot/<package>/<module>.py` are `tests/<tier>/<package>/test_<module>.py`, or
`test_<module>_<aspect>.py` beside it, in one or more of the tiers (unit, slack, system); the
tests of a whole package are `tests/<tier>/test_<package>.py`. The few files whose subject is no
one module (the code's shape, every reply, the shipped digest, packaging) are listed below."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import PROJECT, TIERS

TESTS = PROJECT / "tests"
BOT = PROJECT / "bot"
# Test files whose subject is no one module of bot/, and what it is instead.
ACROSS_MODULES = {
    "unit/test_architecture.py": "the code's shape: layers, imports, function length",
    "unit/test_layout.py": "the tests' own layout (this file)",
    "unit/test_transcripts.py": "every reply as a reader sees it (tests/transcripts.py)",
    "unit/test_shipped_digest.py": "the content of the shipped digest (knowledge/)",
    "slack/test_hostile_input.py": "hostile text behind every subcommand, through the Bolt app",
    "system/test_bench.py": "the benchmarks (bench/)",
    "system/test_shipped_append.py": "the shipped digest's tests after a curator appends a meeting",
    "system/test_shipping.py": "`sco-bot serve` as a service, packaging and documentation",
    "system/test_shipping_install.py": "the wheel and the Dockerfile's steps",
}


def files() -> list[str]:
    """Every test file, relative to tests/."""
    return sorted(p.relative_to(TESTS).as_posix() for p in TESTS.rglob("test_*.py"))


def subject(relative: str) -> Path | None:
    """The module or package of bot/ that a test file at `relative` (under tests/) is named
    after: its folders under the tier, then its name less `test_`, or a prefix of that name
    ending at an underscore (`test_<module>_<aspect>.py`)."""
    tier_path = Path(relative).relative_to(Path(relative).parts[0])
    folder = BOT / tier_path.parent
    name = tier_path.stem.removeprefix("test_")
    words = name.split("_")
    for end in range(len(words), 0, -1):
        stem = "_".join(words[:end])
        for candidate in (folder / f"{stem}.py", folder / stem / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def test_every_test_file_is_in_a_tier() -> None:
    outside = [f for f in files() if f.split("/")[0] not in TIERS]
    assert outside == [], (
        "move these into tests/unit, tests/slack or tests/system, at the path of the module "
        "they test (tests/<tier>/<package>/test_<module>.py)"
    )


def test_every_test_file_is_named_after_the_module_it_tests() -> None:
    unnamed = [
        f
        for f in files()
        if f.split("/")[0] in TIERS and f not in ACROSS_MODULES and subject(f) is None
    ]
    assert unnamed == [], (
        "name each after the module of bot/ it tests (tests/<tier>/<package>/test_<module>.py "
        "or test_<module>_<aspect>.py), or list it in ACROSS_MODULES with its subject"
    )


def test_the_files_across_modules_exist() -> None:
    assert sorted(set(ACROSS_MODULES) - set(files())) == []


def test_a_modules_tests_are_found_by_its_path() -> None:
    def tests_of(module: Path) -> list[str]:
        relative = module.relative_to(BOT).with_suffix("")
        found = []
        for tier in TIERS:
            folder = TESTS / tier / relative.parent
            found += [
                p.relative_to(TESTS).as_posix()
                for pattern in (f"test_{relative.name}.py", f"test_{relative.name}_*.py")
                for p in folder.glob(pattern)
            ]
        return sorted(found)

    assert "unit/knowledge/test_asof.py" in tests_of(BOT / "knowledge" / "asof.py")
    # Every file named after a module is found from that module.
    for f in files():
        module = subject(f) if f not in ACROSS_MODULES else None
        if module is not None and module.name != "__init__.py":
            assert f in tests_of(module), f


def test_no_faster_tier_imports_the_system_tier() -> None:
    """A unit or Slack test never needs a system test file: shared helpers live in testkit/ or
    tests/conftest.py, so `pytest tests/unit` runs without the system tier's modules."""
    importers = [
        f
        for f in files()
        if f.split("/")[0] in ("unit", "slack")
        and re.search(r"^\s*(from|import) tests\.system\b", (TESTS / f).read_text(), re.M)
    ]
    assert importers == []
