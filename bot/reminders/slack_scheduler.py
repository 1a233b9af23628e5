"""The Slack adapter of delivery: chat.scheduleMessage and friends, with errors classified."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.reminders.pacing import Pacers
from bot.reminders.plan import Batch
from bot.reminders.scheduler import DeliveryError, Failure, Held
from bot.rendering.blocks import Message
from bot.slack.client import RevokedToken

# Slack's answers that mean the bot cannot post in the channel at all.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Answers that mean the reminder will never be scheduled as it stands.
GONE_ERRORS = frozenset({"time_in_past", "time_too_far", "invalid_time"})
# Answers that mean the workspace's token is no good: its work ends (and is logged once).
AUTH_ERRORS = frozenset(
    {"invalid_auth", "account_inactive", "token_revoked", "team_not_found", "not_authed",
     "token_expired", "org_login_required", "ekm_access_denied", "app_uninstalled"}
)  # fmt: skip
# Answers worth one more pass (after checking what Slack holds).
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# The reminders' tags ride at the end of the notification text: letters, digits and a hyphen,
# which Slack gives back verbatim in chat.scheduledMessages.list (it escapes only & < >).
# Never `metadata`: Slack does not post messages scheduled with it.
_TAG = re.compile(r"\bsco-[0-9a-f]{12}\b")


def with_tags(text: str, tags: tuple[str, ...]) -> str:
    """The notification text carrying the reminders' tags."""
    return f"{text} (ref {' '.join(tags)})"


def tags_of(text: str) -> tuple[str, ...]:
    """The tags a held message's text carries (those of its closing "(ref ...)")."""
    ref = text.rfind("(ref ")
    return tuple(_TAG.findall(text[ref:])) if ref >= 0 else ()


def tag_of(text: str) -> str | None:
    """The last tag a held message's text carries, if any."""
    found = tags_of(text)
    return found[-1] if found else None


def classify(error: str) -> Failure:
    """What Slack's error (or an exception's class name) means for delivery."""
    if error in AUTH_ERRORS:
        return Failure.AUTH
    if error in CHANNEL_ERRORS:
        return Failure.CHANNEL
    if error in GONE_ERRORS:
        return Failure.GONE
    if (
        error in TRANSIENT_ERRORS
        or error.startswith(("http_5", "http_429"))
        or not error.islower()  # an exception class name: URLError, TimeoutError, ...
    ):
        return Failure.TRANSIENT
    return Failure.OTHER


def _error_of(exc: SlackApiError) -> str:
    response: Any = exc.response
    status = getattr(response, "status_code", None)
    try:
        error = str(response.get("error") or "")
    except Exception:
        error = ""
    return error or f"http_{status}"


def _failed(exc: Exception) -> DeliveryError:
    if isinstance(exc, RevokedToken):  # the workspace removed the app: no call was made
        return DeliveryError("token_revoked", Failure.AUTH)
    error = _error_of(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
    return DeliveryError(error, classify(error))


class SlackScheduler:
    """Schedules, lists and deletes a workspace's reminder messages through Slack's Web API."""

    def __init__(self, client: WebClient, pacers: Pacers | None = None) -> None:
        self.client = client
        self.pacers = pacers  # None: unpaced (tests, and a fake that does not limit)

    def _pace(self, method: str, urgent: bool) -> None:
        if self.pacers is not None:
            self.pacers(method).wait(urgent)

    def held(self, channel_id: str, urgent: bool = False) -> list[Held]:
        """Every message Slack holds for the channel (all pages), with their tags."""
        held: list[Held] = []
        cursor: str | None = None
        while True:
            self._pace("chat.scheduledMessages.list", urgent)
            try:
                response = self.client.chat_scheduledMessages_list(
                    channel=channel_id, cursor=cursor, limit=100
                )
            except Exception as exc:
                raise _failed(exc) from None
            for message in response.get("scheduled_messages") or []:
                text = str(message.get("text", ""))
                ident = str(message.get("id"))
                held.append(Held(ident, int(message.get("post_at") or 0), text, tags_of(text)))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return held

    def schedule(self, batch: Batch, message: Message, urgent: bool = False) -> str:
        """chat.scheduleMessage, the tags in the text; link previews off; never `metadata`."""
        self._pace("chat.scheduleMessage", urgent)
        try:
            response = self.client.chat_scheduleMessage(
                channel=batch.channel_id,
                post_at=int(batch.post_at.timestamp()),
                text=with_tags(message.text, batch.tags),
                blocks=[dict(b) for b in message.blocks],
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            raise _failed(exc) from None
        return str(response["scheduled_message_id"])

    def delete(self, channel_id: str, message_id: str, urgent: bool = False) -> None:
        """chat.deleteScheduledMessage."""
        self._pace("chat.deleteScheduledMessage", urgent)
        try:
            self.client.chat_deleteScheduledMessage(
                channel=channel_id, scheduled_message_id=message_id
            )
        except Exception as exc:
            raise _failed(exc) from None

    def notify(self, user_id: str, message: Message) -> None:
        """chat.postMessage to the user (a direct message from the bot)."""
        self.client.chat_postMessage(channel=user_id, **message.payload())
