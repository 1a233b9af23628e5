"""Dispatch a parsed request: the registry names the subcommand, its module answers it."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bot.commands.parsing import Request
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Reply, Situation

Handler = Callable[[Request, Situation], Reply]


def handler(name: str) -> Handler:
    """The `handle` function of a subcommand (its module is imported on first use)."""
    module = importlib.import_module(SUBCOMMANDS[name].module)
    found: Handler = module.handle
    return found


def dispatch(request: Request, situation: Situation) -> Reply:
    """Answer a parsed request against the situation: which template, with what context."""
    return handler(request.name)(request, situation)
