"""How a reply looks in Slack (bot/slack/replies.py): the acknowledgement's JSON, the Share
button and which replies offer it, the Home tab's memory of when a digest was first served."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.parsing import parse
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.rendering.blocks import Message
from bot.rendering.rendered import Rendered
from bot.rendering.renderer import Renderer
from bot.slack.replies import (
    ACK_FIELDS,
    ShareButton,
    SlackViews,
    ack_body,
    join_objects,
    share_command,
    shareable,
)

NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
PAGE = {"text": "Brief & <more>", "blocks": [{"type": "section", "text": {"type": "mrkdwn"}}]}


def spliced(page: str, public: bool) -> str:
    """The acknowledgement as it was once built, by splicing the page's JSON."""
    if public:
        extra = ', "response_type": "in_channel", "unfurl_links": false, "unfurl_media": false'
    else:
        extra = ', "response_type": "ephemeral"'
    return page[:-1] + extra + "}"


@pytest.mark.parametrize("public", [False, True])
def test_the_ack_is_the_first_page_with_its_response_type_byte_for_byte(public: bool) -> None:
    pages = (json.dumps(PAGE), json.dumps({"text": "2", "blocks": []}))
    body = ack_body(Rendered(pages, public))
    assert body == spliced(pages[0], public)
    assert body == json.dumps({**PAGE, **ACK_FIELDS[public]})  # as if written from data
    assert json.loads(body)["response_type"] == ("in_channel" if public else "ephemeral")


@given(
    st.dictionaries(st.text(), st.integers() | st.text() | st.booleans(), max_size=4),
    st.dictionaries(st.text(), st.integers() | st.text() | st.none(), max_size=4),
)
def test_two_json_objects_are_joined_as_json_dumps_writes_the_merged_object(
    first: dict[str, object], second: dict[str, object]
) -> None:
    second = {k: v for k, v in second.items() if k not in first}
    joined = join_objects(json.dumps(first), json.dumps(second))
    assert joined == json.dumps({**first, **second})


def test_only_objects_are_joined() -> None:
    with pytest.raises(ValueError):
        join_objects("[1]", "{}")


def test_a_reply_may_be_shared_unless_not_found_private_or_mistyped() -> None:
    assert shareable(parse("brief"), "brief.j2")
    assert not shareable(parse("brief"), "not_found.j2")
    assert not shareable(parse("calendar"), "calendar.j2")
    assert not shareable(parse("positons"), "help.j2")


def test_sharing_reminders_shares_only_their_status() -> None:
    assert share_command(parse("remind on 7d at 09:00")) == "remind status"
    assert share_command(parse("positions china")) == "positions china"


def test_the_share_button_goes_under_a_shareable_reply_only(renderer: Renderer) -> None:
    button = ShareButton(renderer)
    messages = [Message("reply", ({"type": "section", "text": {"type": "mrkdwn", "text": "x"}},))]
    shared = button(parse("positions china"), "positions.j2", messages)
    assert len(shared[-1].blocks) > len(messages[-1].blocks)
    assert "positions china" in json.dumps(shared[-1].blocks[-1])
    assert button(parse("positons"), "help.j2", messages) == messages


def test_the_pipeline_adds_the_button_it_is_given_to_private_replies(pipeline: Pipeline) -> None:
    assert '"share"' not in pipeline.respond("brief", NOW).pages[-1]
    shared = Pipeline(
        pipeline.digest, pipeline.renderer, pipeline.timezone, finish=ShareButton(pipeline.renderer)
    )
    assert '"share"' in shared.respond("brief", NOW).pages[-1]
    assert '"share"' not in shared.respond("brief public", NOW).pages[-1]


def test_the_home_tab_remembers_when_each_digest_version_was_first_served(
    pipeline: Pipeline,
) -> None:
    views = SlackViews(pipeline)
    first = views.home(NOW, Caller("", "U1"))
    assert views.home(NOW + timedelta(days=3), Caller("", "U1")) != {}
    assert views._loaded == {pipeline.digest().version: NOW}
    assert first["type"] == "home"


def test_a_modal_names_the_digest_version(pipeline: Pipeline) -> None:
    view = SlackViews(pipeline).view("follow_form.j2", channel="C1")
    assert view["type"] == "modal"
