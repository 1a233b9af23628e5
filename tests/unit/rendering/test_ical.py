"""The digest's events as an iCalendar file: parsed back with `icalendar`, expanded with
`recurring-ical-events`, checked against RFC 5545's rules, and true as of its time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.rendering.ical import calendar_feed
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR
from testkit import questions
from tests.conftest import PROJECT, three_meetings

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES_DIR)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("feed") / "three"))


def feed(digest: Digest, now: datetime, renderer: Renderer) -> icalendar.Calendar:
    raw = calendar_feed(digest.as_of(now), UTC_ZONE, renderer)
    assert raw.count(b"BEGIN:VCALENDAR") == 1 and raw.endswith(b"END:VCALENDAR\r\n")
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["version"] == "2.0" and calendar["prodid"]
    uids = []
    for part in calendar.walk():
        if part.name in ("VEVENT", "VJOURNAL"):
            assert part.get("dtstamp") and part.get("uid"), part
            uids.append(str(part["uid"]))
    assert len(uids) == len(set(uids))  # each UID once
    return calendar


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.cal.Component]:
    return {
        str(p["uid"]).split("@")[0]: p for p in calendar.walk() if p.name in ("VEVENT", "VJOURNAL")
    }


def test_the_festival_is_an_all_day_event_of_six_days(three: Digest, renderer: Renderer) -> None:
    v1 = load_digest(PROJECT / "tests" / "digests" / "sco-2021-v1")
    calendar = feed(v1, datetime(2021, 8, 1, tzinfo=UTC), renderer)
    october = recurring_ical_events.of(calendar).between(date(2021, 10, 1), date(2021, 11, 1))
    (festival,) = [e for e in october if "Fanfares of Peace" in str(e["summary"])]
    assert festival["dtstart"].dt == date(2021, 10, 18)
    assert festival["dtend"].dt == date(2021, 10, 24)  # exclusive: the 23rd is its last day
    assert "SCO Secretariat, 28 Jul 2021 reports" in str(festival["description"])
    assert str(festival["url"]).startswith("http://eng.sectsco.org/")


def test_a_date_without_a_day_is_a_dated_note_not_an_event(renderer: Renderer) -> None:
    v1 = load_digest(PROJECT / "tests" / "digests" / "sco-2021-v1")
    found = by_uid(feed(v1, datetime(2021, 8, 1, tzinfo=UTC), renderer))
    assert found["sco-defmin-2022-uzbekistan"].name == "VJOURNAL"
    assert "day not given" in str(found["sco-defmin-2022-uzbekistan"]["summary"])
    assert found["fanfares-of-peace-2021"].name == "VEVENT"


def test_nothing_from_a_document_not_yet_published(three: Digest, renderer: Renderer) -> None:
    before = by_uid(feed(three, datetime(2033, 4, 20, tzinfo=UTC), renderer))
    assert "cadet-regatta-2033" not in before and "council-2033-meeting" not in before
    assert "council-2033-mu" in before and before["council-2033-mu"]["status"] == "FINAL"


def test_a_cancelled_or_superseded_event_is_cancelled_and_its_sequence_grows(
    three: Digest, renderer: Renderer
) -> None:
    announced = by_uid(feed(three, datetime(2033, 5, 12, tzinfo=UTC), renderer))
    later = by_uid(feed(three, datetime(2033, 5, 14, tzinfo=UTC), renderer))
    regatta, cancelled = announced["cadet-regatta-2033"], later["cadet-regatta-2033"]
    assert (regatta["status"], cancelled["status"]) == ("CONFIRMED", "CANCELLED")
    assert int(cancelled["sequence"]) > int(regatta["sequence"])
    # The 2032 placeholder, once the 2033 meeting that superseded it is reported.
    assert later["council-2033-mu"]["status"] == "CANCELLED"
    assert later["council-2033-meeting"]["status"] == "CONFIRMED"
    assert str(later["council-2033-mu"]["uid"]) == str(announced["council-2033-mu"]["uid"])


def test_the_same_view_gives_the_same_bytes(three: Digest, renderer: Renderer) -> None:
    now = datetime(2033, 5, 14, tzinfo=UTC)
    first = calendar_feed(three.as_of(now), UTC_ZONE, renderer)
    assert calendar_feed(three.as_of(datetime(2033, 6, 1, tzinfo=UTC)), UTC_ZONE, renderer) == first


def test_the_2022_meeting_is_in_the_feed_once_after_a_curator_appends_it(
    tmp_path: Path, renderer: Renderer
) -> None:
    knowledge = shutil.copytree(DEFAULT_KNOWLEDGE_DIR, tmp_path / "knowledge")
    questions.append_meeting(knowledge, PROJECT / "tests" / "digests" / "shipped-append")
    calendar = feed(load_digest(knowledge), datetime(2022, 9, 1, tzinfo=UTC), renderer)
    meetings = [p for p in calendar.walk("VEVENT") if "Tashkent" in str(p.get("location", ""))]
    assert len(meetings) == 1 and meetings[0]["dtstart"].dt == date(2022, 8, 24)
    found = by_uid(calendar)
    assert found["sco-defmin-2022-uzbekistan"]["status"] == "CANCELLED"


def test_calendar_export_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "sco.ics"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "calendar",
            "export",
            "--at",
            "2021-10-01",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SCO_CACHE_DIR": "off", "HOME": str(tmp_path)},
        cwd=PROJECT,
    )
    assert result.returncode == 0, result.stderr
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    assert any("Fanfares of Peace" in str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert not list(tmp_path.glob(".sco.ics.*"))  # nothing half-written left behind
