"""The Slack listeners' one dependency object (bot/slack/deps.py): built once per app, bound to
module-level handlers where they are registered; a `/sco` request parsed once on its way."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt.util.utils import get_arg_names_of_callable, get_name_for_callable

from bot.clock import Clock
from bot.commands import parsing
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import build_slack
from bot.slack.deps import Deps, bind
from bot.slack.listeners import SURFACES
from tests.conftest import PROJECT, send

NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)


def handler(deps: Deps, ack: Any, body: dict[str, Any]) -> None:
    """A listener as Bolt sees it: by its arguments' names."""


def test_a_bound_handler_shows_bolt_its_own_arguments_and_name() -> None:
    bound = bind(handler, object())  # type: ignore[arg-type]
    assert get_arg_names_of_callable(bound) == ["ack", "body"]
    assert get_name_for_callable(bound) == "handler"


@pytest.mark.parametrize("module", SURFACES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_listeners_are_module_level_functions_not_closures(module: Any) -> None:
    tree = ast.parse((PROJECT / module.__file__).read_text())
    nested = [
        f"{outer.name}.{inner.name}"
        for outer in tree.body
        if isinstance(outer, ast.FunctionDef)
        for inner in ast.walk(outer)
        if inner is not outer and isinstance(inner, ast.FunctionDef)
    ]
    assert nested == []


@pytest.fixture
def services(settings: Settings, pipeline: Pipeline) -> Services:
    return Services(settings, Clock(start=NOW), pipeline.digest, pipeline.renderer)


def test_one_deps_per_app_from_its_services(services: Services) -> None:
    slack = build_slack(services)
    deps = slack.deps
    assert deps.services is services and deps.pipeline is services.pipeline
    assert deps.work is slack.work and deps.check is slack.check
    assert deps.views.pipeline is services.pipeline
    assert build_slack(services).deps.shared is not deps.shared  # another app, its own memory


@pytest.mark.parametrize("text", ["brief", "remind status", "what did china say"])
def test_a_slash_command_is_parsed_once(
    services: Services, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    # Past 256 characters a text is not memoised: every parse of it is a call of _parse.
    long = f"{text} {'x' * 300}"
    calls: list[str] = []
    parse: Callable[[str], parsing.Request] = parsing._parse

    def counted(typed: str) -> parsing.Request:
        calls.append(typed)
        return parse(typed)

    monkeypatch.setattr(parsing, "_parse", counted)
    app = build_slack(services).app
    assert send(app, long).status == 200
    assert calls == [long]
