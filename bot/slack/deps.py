"""What every Slack listener is given: one frozen `Deps`, built once per app (bot/slack/app.py)
and bound to each handler where it is registered (`bind`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.services import Services
from bot.slack.identity import SlackCheck
from bot.slack.replies import SlackViews
from bot.slack.responses import Once
from bot.slack.work import SlackWork

# Events remembered to answer a retry once; Slack retries within minutes, three times at most.
REMEMBERED_EVENTS = 10_000
REMEMBERED_SECONDS = 3600.0


@dataclass(frozen=True)
class Deps:
    """The running system as the listeners see it, and what they remember between requests."""

    services: Services
    work: SlackWork  # Slack work after the ack, with the clients of the workspace served
    check: SlackCheck  # Slack's answer to the token
    views: SlackViews  # modals, the Home tab, long menus' options
    shared: Once = field(default_factory=Once)  # messages already shared (a press done once)
    opened: Once = field(default_factory=Once)  # a trigger_id opens one view
    seen: Once = field(  # events already answered (a retry answered once)
        default_factory=lambda: Once(seconds=REMEMBERED_SECONDS, limit=REMEMBERED_EVENTS)
    )

    @property
    def pipeline(self) -> Pipeline:
        """What answers requests."""
        return self.services.pipeline

    @property
    def clock(self) -> Clock:
        """What says now."""
        return self.services.clock


def bind(handler: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """`handler` with `deps` as its first argument, as Bolt calls a listener: by the names of
    its other arguments (ack, body, event...). Keeps its name for Bolt's logs."""
    bound = functools.partial(handler, deps)
    setattr(bound, "__name__", handler.__name__)  # noqa: B010 (a partial has no __name__ slot)
    return bound
