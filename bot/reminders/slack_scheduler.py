"""The Slack adapter of delivery: chat.scheduleMessage and friends, with errors classified."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.reminders.plan import Reminder
from bot.reminders.scheduler import DeliveryError, Failure, Held
from bot.rendering.blocks import Message

# Slack's answers that mean the bot cannot post in the channel at all.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Answers that mean the reminder will never be scheduled as it stands.
GONE_ERRORS = frozenset({"time_in_past", "time_too_far", "invalid_time"})
# Answers worth one more pass (after checking what Slack holds).
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


def classify(error: str) -> Failure:
    """What Slack's error (or an exception's class name) means for delivery."""
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
    error = _error_of(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
    return DeliveryError(error, classify(error))


class SlackScheduler:
    """Schedules, lists and deletes a workspace's reminder messages through Slack's Web API."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def held(self, channel_id: str) -> list[Held]:
        """Every message Slack holds for the channel (all pages).

        Only Slack's refusals become DeliveryError; a broken connection propagates, failing
        this channel's reconcile."""
        held: list[Held] = []
        cursor: str | None = None
        while True:
            try:
                response = self.client.chat_scheduledMessages_list(
                    channel=channel_id, cursor=cursor, limit=100
                )
            except SlackApiError as exc:
                raise _failed(exc) from None
            for message in response.get("scheduled_messages") or []:
                text = str(message.get("text", ""))
                held.append(Held(str(message.get("id")), message.get("post_at"), text))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return held

    def schedule(self, reminder: Reminder, message: Message) -> str:
        """chat.scheduleMessage; link previews off; never `metadata` (Slack would not post)."""
        try:
            response = self.client.chat_scheduleMessage(
                channel=reminder.channel_id,
                post_at=int(reminder.post_at.timestamp()),
                text=message.text,
                blocks=[dict(b) for b in message.blocks],
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            raise _failed(exc) from None
        return str(response["scheduled_message_id"])

    def delete(self, channel_id: str, message_id: str) -> None:
        """chat.deleteScheduledMessage."""
        try:
            self.client.chat_deleteScheduledMessage(
                channel=channel_id, scheduled_message_id=message_id
            )
        except Exception as exc:
            raise _failed(exc) from None

    def notify(self, user_id: str, message: Message) -> None:
        """chat.postMessage to the user (a direct message from the bot)."""
        self.client.chat_postMessage(channel=user_id, **message.payload())
