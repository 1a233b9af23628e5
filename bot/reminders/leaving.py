"""When a workspace removes the app: delete the reminders Slack still holds for it."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.reminders.ledger import Ledger
from bot.reminders.slack_scheduler import AUTH_ERRORS

log = logging.getLogger("sco_bot.delivery")


def delete_scheduled(ledger: Ledger, client: WebClient) -> int:
    """Delete every message the ledger says Slack holds for the workspace; stop at the first
    refusal of the token (after an uninstall Slack usually refuses it at once). Returns how
    many were deleted."""
    deleted = 0
    for channel, message_id in ledger.scheduled_messages():
        try:
            client.chat_deleteScheduledMessage(channel=channel, scheduled_message_id=message_id)
            deleted += 1
        except SlackApiError as refused:
            error = str(refused.response.get("error") or "")
            if error in AUTH_ERRORS:
                log.info("%s: Slack refuses the token already (%s)", ledger.workspace.label, error)
                break
        except (SlackClientError, OSError) as failed:
            log.warning("%s: deleting scheduled reminders: %s", ledger.workspace.label, failed)
            break
    return deleted
