"""A digest of many meetings: replies stay deliverable, and the YAML reader stays exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_digest import generate
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.yamlsource import YamlError, load_yaml
from bot.pipeline import Pipeline
from bot.queries import calendar, lookup
from bot.queries import positions as positions_q
from bot.rendering.blocks import MAX_BLOCKS, MAX_MESSAGES
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import TEST_DIGEST


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    directory = tmp_path_factory.mktemp("big") / "knowledge"
    generate(directory, meetings=12, items=1_500, base=TEST_DIGEST)
    return load_digest(directory)


@pytest.fixture(scope="module")
def big_briefer(big: Digest) -> Pipeline:
    return Pipeline(DigestHolder(big), Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))


def latest(digest: Digest) -> datetime:
    day = max(m.date.first for m in digest.meetings if m.date.first is not None)
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def test_positions_show_the_most_recent_meetings_and_name_the_rest(
    big: Digest, big_briefer: Pipeline
) -> None:
    china = lookup.find_actor(big, "china")
    found = positions_q.positions(big, china)
    assert found.earlier, "a 12-meeting digest should not fit in one reply"
    shown_meetings = {s.meeting.id for g in found.topics for s in g.claims}
    newest_first = sorted(
        (m for m in big.meetings if m.date.first), key=lambda m: m.date.first, reverse=True
    )
    hidden = {m.id for m, _ in found.earlier}
    assert not shown_meetings & hidden
    # Everything shown is newer than everything left out.
    order = [m.id for m in newest_first]
    assert max(order.index(i) for i in shown_meetings) < min(order.index(i) for i in hidden)
    assert found.shown + sum(n for _, n in found.earlier) == found.total

    answer = big_briefer.respond("positions china", latest(big))
    assert len(answer.messages) <= 2
    text = to_terminal(answer.messages)
    assert f"Showing {found.shown} of {found.total} statements" in text
    first_hidden = found.earlier[0][0].id
    assert f"`{first_hidden}`" in text


def test_positions_for_one_earlier_meeting(big: Digest, big_briefer: Pipeline) -> None:
    china = lookup.find_actor(big, "china")
    meeting, count = positions_q.positions(big, china).earlier[-1]
    answer = big_briefer.respond(f"positions PRC {meeting.id}", latest(big))
    text = to_terminal(answer.messages)
    assert f"Statements of *China* at the {meeting.title}" in text
    # Where and when: said once for the run of that one meeting's statements (issue 13).
    assert text.count(f"At the {meeting.title}, {meeting.place}") == 1
    found = positions_q.positions(big, china, meeting)
    assert found.shown == found.total == count and not found.earlier


def test_upcoming_lists_the_soonest_and_counts_the_rest(big: Digest, big_briefer: Pipeline) -> None:
    now = latest(big) - timedelta(days=400)
    found = calendar.upcoming(big, now, ZoneInfo("UTC"))
    every = [d for d in calendar.timed_events(big, now, ZoneInfo("UTC")) if d.timing.is_ahead]
    assert len(every) > calendar.UPCOMING_SHOWN
    assert [d.event.id for d in found.ahead] == [d.event.id for d in every][: len(found.ahead)]
    assert len(found.ahead) == calendar.UPCOMING_SHOWN
    assert found.more == len(every) - calendar.UPCOMING_SHOWN
    text = to_terminal(big_briefer.respond("upcoming", now).messages)
    assert f"…and {found.more} later events" in text


def test_a_reply_longer_than_five_messages_is_cut_with_a_note() -> None:
    renderer = Renderer(DEFAULT_TEMPLATES_DIR)
    huge = "\n".join(f"::section\nitem {i}" for i in range(400))
    renderer.env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"huge.j2": huge}), renderer.env.loader]  # type: ignore[list-item]
    )
    messages = renderer.messages("huge.j2", {})
    assert len(messages) == MAX_MESSAGES
    assert all(len(m.blocks) <= MAX_BLOCKS for m in messages)
    last = json.dumps(messages[-1].payload())
    assert "shown are the first 5 of its 8 messages" in last
    assert "item 0" in json.dumps(messages[0].payload())


# --- the YAML reader builds values from libyaml's events: it must read what PyYAML reads ------


class _Reference(yaml.SafeLoader):
    """PyYAML's SafeLoader without timestamps: what the digest reader must agree with."""


_Reference.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _reference(text: str) -> object:
    loader = _Reference(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _lines_by_compose(text: str) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                walk(value, (*path, i))

    root = yaml.compose(text, Loader=_Reference)
    if root is not None:
        walk(root, ())
    return lines


@pytest.mark.parametrize("name", ["meetings.yaml", "actors.yaml", "sources/index.yaml"])
def test_the_reader_agrees_with_pyyaml_on_the_digest(name: str) -> None:
    text = (TEST_DIGEST / name).read_text("utf-8")
    data, lines = load_yaml(text)
    assert data == _reference(text)
    for path, line in _lines_by_compose(text).items():
        assert lines.line_of(path) == line, path


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(["block", "flow"]))
def test_the_reader_agrees_with_pyyaml_on_any_document(value: object, style: str) -> None:
    text = yaml.safe_dump(value, default_flow_style=style == "flow", allow_unicode=True)
    try:
        expected = _reference(text)
    except yaml.YAMLError:
        with pytest.raises(YamlError):
            load_yaml(text)
        return
    data, lines = load_yaml(text)
    assert data == expected
    for path, line in _lines_by_compose(text).items():
        assert lines.line_of(path) == line, path


def test_the_reader_refuses_what_the_digest_never_needs() -> None:
    for text, message in (
        ("a: &x 1\nb: *x\n", "aliases"),
        ("a: 1\n---\nb: 2\n", "single document"),
        ("? [1, 2]\n: x\n", "a key must be plain text"),
        ("a: 1\na: 2\n", "duplicated key"),
        ("<<: {a: 1}\n", "merge keys"),
        ("a: !!set {x}\n", "unsupported YAML tag"),
    ):
        with pytest.raises(YamlError, match=message):
            load_yaml(text)
