"""The digest cache holds plain dataclasses: read back, it answers exactly as the validated digest
does, without importing pydantic or the schema."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from bot.knowledge import model, schema, validation
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import CACHE_FORMAT, load_digest
from bot.knowledge.versioning import content_version
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR
from testkit import servers
from tests.conftest import PROJECT, TEST_DIGEST, TWO_MEETINGS

TIMEOUT = 20.0  # seconds for one `sco-bot ask` process


def clean_env(**values: str) -> dict[str, str]:
    """A clean environment (no Slack or SCO setting) on the test digest, plus `values`."""
    return servers.clean_env(**{"SCO_KNOWLEDGE_DIR": str(TEST_DIGEST), **values})

HEAVY = ("pydantic", "pydantic_core", "bot.knowledge.schema", "bot.knowledge.validation", "yaml")
TEXTS = ["brief", "positions china", "upcoming", "compare", "sources", "ask terrorism", "help"]


def ask_brief(env: dict[str, str]) -> tuple[str, set[str]]:
    """`ask brief` at a fixed time in a fresh interpreter: its output and what it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", "ask", "brief", "--at", "2021-08-01"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported = set()
    for line in result.stderr.splitlines():
        assert line.startswith("import time:"), line  # nothing but the import listing
        imported.add(line.rsplit("|", 1)[1].strip())
    return result.stdout, imported


def test_a_cached_digest_answers_without_importing_pydantic_or_the_schema(tmp_path: Path) -> None:
    env = clean_env(SCO_CACHE_DIR=str(tmp_path), SCO_ANSWER_CACHE_MB="0")
    first, first_imports = ask_brief(env)
    second, second_imports = ask_brief(env)
    uncached, _ = ask_brief(clean_env(SCO_CACHE_DIR="off"))

    assert set(HEAVY) <= first_imports  # the miss validated the files (the listing is honest)
    assert list(tmp_path.glob("digest-*.pickle"))
    assert "bot.knowledge.digest" in second_imports
    assert second_imports.isdisjoint(HEAVY), sorted(second_imports & set(HEAVY))
    assert first == second == uncached
    assert "18th meeting of the SCO Council of Defence Ministers" in second


@pytest.mark.parametrize("directory", [TEST_DIGEST, TWO_MEETINGS], ids=["sco-2021", "two"])
def test_a_digest_read_back_from_the_cache_is_the_validated_one(
    directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated = load_digest(directory, tmp_path)

    def not_again(*_: object) -> Digest:
        raise AssertionError("validated again: the cache was not read")

    monkeypatch.setattr(validation, "validate_digest", not_again)
    cached = load_digest(directory, tmp_path)

    assert cached is not validated and cached == validated
    assert cached.claims == validated.claims and set(cached.claims) == set(validated.claims)
    renderer = Renderer(DEFAULT_TEMPLATES_DIR)
    for at in (datetime(2021, 7, 29, 9, tzinfo=UTC), datetime(2032, 8, 24, 18, tzinfo=UTC)):
        for text in TEXTS:
            fresh = Pipeline(DigestHolder(validated), renderer, ZoneInfo("Europe/Berlin"))
            again = Pipeline(DigestHolder(cached), renderer, ZoneInfo("Europe/Berlin"))
            assert again.respond(text, at).pages == fresh.respond(text, at).pages, text


def test_a_pickle_written_before_the_format_was_named_is_never_read(tmp_path: Path) -> None:
    version = content_version(TEST_DIGEST)
    other = dataclasses.replace(load_digest(TWO_MEETINGS), version=version)
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    (tmp_path / f"digest-{version}-{python}.pickle").write_bytes(pickle.dumps(other))

    digest = load_digest(TEST_DIGEST, tmp_path)

    assert digest.meetings != other.meetings and digest == load_digest(TEST_DIGEST)
    assert (tmp_path / f"digest-{version}-f{CACHE_FORMAT}-{python}.pickle").is_file()


def test_a_cache_file_that_does_not_unpickle_is_validated_again(tmp_path: Path) -> None:
    digest = load_digest(TEST_DIGEST, tmp_path)
    [pickled] = tmp_path.glob("digest-*.pickle")
    pickled.write_bytes(b"not a pickle")
    assert load_digest(TEST_DIGEST, tmp_path) == digest
    assert pickled.read_bytes() != b"not a pickle"  # and cached again


def test_the_digest_is_declared_once_and_validated_into_those_classes() -> None:
    # No second declaration of the digest: the schema module holds no model of its own, and
    # what validation gives is model.py's dataclasses themselves.
    assert not [
        name
        for name, value in vars(schema).items()
        if isinstance(value, type) and issubclass(value, BaseModel)
    ]
    digest = load_digest(TEST_DIGEST)
    meeting = digest.meetings[0]
    assert type(meeting) is model.Meeting and type(meeting.outcomes[0]) is model.Outcome
    assert type(digest.documents[0]) is model.Document
    assert dataclasses.is_dataclass(meeting) and not isinstance(meeting, BaseModel)
