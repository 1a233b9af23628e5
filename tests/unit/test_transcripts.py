"""Approved transcripts: every reply, as a reader sees it, on the shipped digest and on digests
written for the tests, at fixed times. A change of wording fails here until its transcript is
approved (`pytest tests/unit/test_transcripts.py --snapshot-update`, then read the diff of
tests/unit/__snapshots__/ as an analyst would). Every transcript also passes the reader's lint."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from bot.knowledge.digest import Digest
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR
from tests.transcripts import DIGESTS, Case, cases, lint, render, transcript


class TranscriptFile(SingleFileSnapshotExtension):
    """One reviewed text file per reply."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES_DIR)


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Digest]:
    loaded: dict[str, Digest] = {}
    root = tmp_path_factory.mktemp("digests")

    class Lazy(dict[str, Digest]):
        def __missing__(self, key: str) -> Digest:
            self[key] = DIGESTS[key](Path(root))
            return self[key]

    return Lazy(loaded)


def _params() -> list[object]:
    return [
        pytest.param(
            c, id=c.id, marks=[pytest.mark.shipped_digest] if c.digest == "shipped" else []
        )
        for c in cases()
    ]


@pytest.mark.parametrize("case", _params())
def test_transcript(
    case: Case, digests: dict[str, Digest], renderer: Renderer, snapshot: SnapshotAssertion
) -> None:
    digest = digests[case.digest]
    rendered = render(case, digest, renderer)
    assert transcript(case, rendered, digest.version) == snapshot(extension_class=TranscriptFile)
    assert lint(case, rendered) == []
