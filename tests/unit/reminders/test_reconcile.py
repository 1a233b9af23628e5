"""The pure decisions of a reconcile (no I/O): adoption by tag, waiting when Slack cannot be
listed, missed reminders, earliest first; and the pacer's priority lane and the bulk order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.reminders.pacing import Pacer
from bot.reminders.plan import Reminder
from bot.reminders.reconcile import adoptions, decide, waves
from bot.reminders.records import LedgerRow, State
from bot.reminders.scheduler import Held
from testkit.waiting import wait_until

NOW = datetime(2021, 10, 1, 12, tzinfo=UTC)
AT = NOW + timedelta(days=3)
TALKS = Reminder(AT, "C1", "talks", 1)
REVIEW = Reminder(AT, "C1", "review-of-talks", 1)


def row(reminder: Reminder, state: State = State.PENDING, ident: str | None = None) -> LedgerRow:
    return LedgerRow(hash(reminder.key) % 1000, reminder, state, ident, None)


def held(ident: str, reminder: Reminder, text: str, tag: str | None = "") -> Held:
    tags = (reminder.tag,) if tag == "" else (tag,) if tag else ()
    return Held(ident, int(reminder.post_at.timestamp()), text, tags)


def test_tags_differ_for_every_part_of_the_key_and_are_plain_letters_and_digits() -> None:
    tags = {TALKS.tag, REVIEW.tag, Reminder(AT, "C2", "talks", 1).tag}
    tags |= {Reminder(AT, "C1", "talks", 2).tag, Reminder(AT + timedelta(1), "C1", "talks", 1).tag}
    assert len(tags) == 5
    assert all(t.startswith("sco-") and t[4:].isalnum() for t in tags)
    assert TALKS.tag == Reminder(AT, "C1", "talks", 1).tag  # stable across processes


def test_adoption_matches_on_the_tag_never_on_a_title_inside_the_text() -> None:
    rows = [row(TALKS), row(REVIEW)]
    messages = [
        held("QREVIEW", REVIEW, "Reminder: Review of talks"),  # contains "talks" too
        held("QTALKS", TALKS, "Reminder: talks &amp; &lt;more&gt;"),
    ]
    found = {a.row.reminder.event_id: a.message_id for a in adoptions(rows, messages)}
    assert found == {"talks": "QTALKS", "review-of-talks": "QREVIEW"}


def test_adoption_skips_untagged_claimed_and_mistimed_messages() -> None:
    rows = [row(TALKS), row(REVIEW, State.SCHEDULED, "QREVIEW")]
    messages = [
        held("QNOTAG", TALKS, "Reminder: talks", tag=None),
        held("QREVIEW", TALKS, "claimed by another row"),
        Held("QLATER", int(AT.timestamp()) + 60, "", (TALKS.tag,)),
    ]
    assert adoptions(rows, messages) == []


def test_pending_rows_wait_when_slack_could_not_be_listed() -> None:
    kept, dropped = row(TALKS), row(REVIEW)
    scheduled_unwanted = row(Reminder(AT, "C1", "gone", 1), State.SCHEDULED, "Q1")
    rows = [kept, dropped, scheduled_unwanted]
    desired = {TALKS.key: TALKS}
    blind = decide(desired, rows, NOW, listed=False)
    assert blind.retry == [] and blind.schedule == []  # nothing resent blindly
    assert blind.wait == [kept, dropped]  # the unwanted one is not forgotten: Slack may hold it
    assert blind.delete == [scheduled_unwanted]  # its id is known: deleting it is safe
    seen = decide(desired, rows, NOW, listed=True)
    assert seen.retry == [kept] and set(seen.delete) == {dropped, scheduled_unwanted}


def test_unconfirmed_rows_past_their_time_are_missed_and_never_scheduled_again() -> None:
    late = Reminder(NOW - timedelta(minutes=5), "C1", "talks", 0)
    first = decide({late.key: late}, [row(late)], NOW)
    assert first.missed == [row(late)] and first.schedule == []
    again = decide({late.key: late}, [row(late, State.MISSED)], NOW)
    assert again.missed == [] and again.schedule == [] and again.retry == []


def test_reminders_of_one_channel_at_one_time_are_one_message() -> None:
    other_channel = Reminder(AT, "C2", "talks", 1)
    desired = {r.key: r for r in (TALKS, REVIEW, other_channel)}
    sends = decide(desired, [], NOW).send
    assert [sorted(r.event_id for r in s.batch.reminders) for s in sends] == [
        ["review-of-talks", "talks"],
        ["talks"],
    ]
    assert [s.batch.channel_id for s in sends] == ["C1", "C2"]


def test_a_message_held_for_a_batch_that_changed_is_deleted_and_the_batch_sent_again() -> None:
    held_alone = row(TALKS, State.SCHEDULED, "QTALKS")
    both = decide({TALKS.key: TALKS, REVIEW.key: REVIEW}, [held_alone], NOW)
    assert both.delete == [held_alone]
    assert [s.batch.keys for s in both.send] == [frozenset({TALKS.key, REVIEW.key})]
    merged = [row(TALKS, State.SCHEDULED, "QBOTH"), row(REVIEW, State.SCHEDULED, "QBOTH")]
    kept = decide({TALKS.key: TALKS, REVIEW.key: REVIEW}, merged, NOW)
    assert kept.delete == [] and kept.send == []  # held exactly as wanted
    one_left = decide({TALKS.key: TALKS}, merged, NOW)
    assert one_left.delete == merged and [s.batch.keys for s in one_left.send] == [
        frozenset({TALKS.key})
    ]


def test_adoption_of_a_batch_adopts_each_of_its_reminders() -> None:
    rows = [row(TALKS), row(REVIEW, State.SCHEDULED, "QBOTH")]  # the answer half recorded
    message = Held("QBOTH", int(AT.timestamp()), "Reminders", (REVIEW.tag, TALKS.tag))
    assert [(a.row.reminder, a.message_id) for a in adoptions(rows, [message])] == [
        (TALKS, "QBOTH")
    ]


def test_new_reminders_are_scheduled_earliest_first() -> None:
    later = Reminder(AT + timedelta(days=5), "C1", "talks", 1)
    desired = {later.key: later, TALKS.key: TALKS}
    assert decide(desired, [], NOW).schedule == [TALKS, later]


def test_an_urgent_caller_takes_the_next_token_before_a_waiting_bulk_caller() -> None:
    moment = [0.0]
    pacer = Pacer(rate=1.0, burst=1, clock=lambda: moment[0])
    pacer.wait()  # the only token
    order: list[str] = []
    bulk = threading.Thread(target=lambda: (pacer.wait(), order.append("bulk")))
    bulk.start()
    urgent = threading.Thread(target=lambda: (pacer.wait(urgent=True), order.append("urgent")))
    urgent.start()
    assert wait_until(lambda: pacer._urgent == 1, timeout=5)
    moment[0] = 1.0  # one token refilled: the urgent caller gets it
    urgent.join(timeout=5)
    assert order == ["urgent"]
    moment[0] = 2.0
    bulk.join(timeout=5)
    assert order == ["urgent", "bulk"]


def test_the_pacer_never_lets_more_than_burst_plus_rate_through() -> None:
    moment = [0.0]
    pacer = Pacer(rate=2.0, burst=3, clock=lambda: moment[0])
    went = 0
    done = threading.Event()

    def caller() -> None:
        nonlocal went
        while not done.is_set():
            pacer.wait()
            went += 1

    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    assert wait_until(lambda: went == 3, timeout=5)  # the burst
    moment[0] = 10.0  # ten seconds at two a second
    assert wait_until(lambda: went == 3 + 3, timeout=5)  # refilled to the burst...
    assert not wait_until(lambda: went > 3 + 3, timeout=0.3)  # ...not beyond
    done.set()
    moment[0] = 100.0
    thread.join(timeout=5)


def test_waves_cut_between_post_times_earliest_first() -> None:
    day = [NOW + timedelta(days=d) for d in range(4)]
    assert waves([], 10) == [None]
    assert waves([day[0]] * 3 + [day[1]] * 3, 10) == [None]  # one wave holds them all
    assert waves([day[1]] * 150 + [day[0]] * 150, 200) == [day[0], None]  # never mid-group
    assert waves([day[0]] * 5 + [day[1]] * 5 + [day[2]] * 5 + [day[3]], 10) == [day[1], None]
    assert waves([day[0]] * 500, 200) == [None]
