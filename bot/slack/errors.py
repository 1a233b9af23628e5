"""The one error handler: an apology with a reference instead of Bolt's bare 500."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse

from bot.pipeline import Pipeline
from bot.slack.deps import Deps, bind
from bot.slack.responses import JSON_TYPE

log = logging.getLogger("sco_bot")


def apology(pipeline: Pipeline, error: BaseException, command: object) -> dict[str, Any]:
    """Log a failure once, with a reference, and return the ephemeral apology that cites it."""
    reference = uuid.uuid4().hex[:8]
    log.error("error %s handling %s", reference, command, exc_info=error)
    page = pipeline.render("error.j2", reference=reference)[0]
    return {**page.payload(), "response_type": "ephemeral"}


def register(app: App, deps: Deps) -> None:
    """Answer any listener's failure with an ephemeral apology (HTTP 200) and log it once."""
    app.error(bind(on_error, deps))


def on_error(deps: Deps, error: Exception, body: dict[str, Any]) -> BoltResponse:
    """The apology, as the HTTP response."""
    reply = apology(deps.pipeline, error, body.get("command"))
    return BoltResponse(status=200, body=json.dumps(reply), headers={"content-type": JSON_TYPE})
