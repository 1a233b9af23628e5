"""Generate a large, valid digest: the real sources and actors, and a synthetic meetings.yaml.

    python -m bench.gen_digest OUT_DIR [--meetings 50] [--items 10000] [--seed 2021]

Every quote is a verbatim run of words from one line of the two real source texts, so the
generated digest passes the same validation as the curated one (`sco-bot knowledge check`).
Items are outcomes, positions, events and talks, spread evenly over the meetings.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.settings import DEFAULT_KNOWLEDGE_DIR

# Per meeting, out of every 20 items: 9 outcomes, 8 positions, 2 events, 1 talk.
SHARES = {"outcomes": 9, "positions": 8, "events": 2, "talks": 1}
THEMES = [
    "Security cooperation",
    "Joint exercises",
    "Afghanistan and counter-terrorism",
    "COVID-19",
    "Partnerships",
    "Cooperation plan",
    "Culture",
    "Membership and legal framework",
    "Next meeting",
    "History of World War II",
    "Military medicine",
    "Border security",
]
TOPICS = [
    "The SCO at 20",
    "Defence cooperation within the SCO",
    "World order and multilateralism",
    "Afghanistan and counter-terrorism",
    "Joint exercises",
    "Regional security",
    "Military education",
    "Arms control",
    "Information security",
    "Pandemic response",
    "Peacekeeping",
    "Border security",
    "Defence industry",
    "Military medicine",
    "Culture and sport",
]
TALK_TOPICS = [
    "the international and regional situation",
    "bilateral state and military-to-military relations",
    "counter-terrorism cooperation",
    "joint training",
    "military education exchanges",
]
PLACES = [
    ("Dushanbe, Tajikistan", "Asia/Dushanbe"),
    ("Moscow, Russia", "Europe/Moscow"),
    ("Beijing, China", "Asia/Shanghai"),
    ("Islamabad, Pakistan", "Asia/Karachi"),
    ("New Delhi, India", "Asia/Kolkata"),
    ("Minsk, Belarus", "Europe/Minsk"),
    ("Astana, Kazakhstan", "Asia/Almaty"),
    ("Bishkek, Kyrgyzstan", "Asia/Bishkek"),
    ("Tashkent, Uzbekistan", "Asia/Tashkent"),
    ("Pakistan", None),
]
STATES = [
    "china",
    "tajikistan",
    "russia",
    "pakistan",
    "india",
    "belarus",
    "kazakhstan",
    "kyrgyzstan",
]
# China is the actor `/sco positions china` asks about: give it a fair share of the positions.
POSITION_ACTORS = ["china"] * 3 + STATES + ["sco-defence-ministers"]
BODY = "sco-defence-ministers"
FIRST_MEETING = date(2017, 3, 1)
MEETING_STRIDE_DAYS = 37


def _quotes(sources: Path, documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Runs of 8-24 words from each line of each source text, verbatim."""
    found: dict[str, list[str]] = {}
    for doc in documents:
        text = (sources / doc["file"]).read_text("utf-8")
        runs: list[str] = []
        for line in text.splitlines():
            words = line.split(" ")
            for size in (8, 12, 16, 24):
                for start in range(0, max(0, len(words) - size) + 1, 5):
                    run = " ".join(words[start : start + size]).strip()
                    # Plain runs only: no line-internal tabs, and at least 8 characters.
                    if len(run) >= 8 and "\t" not in run and not re.search(r"\s{2,}", run):
                        runs.append(run)
        found[doc["id"]] = sorted(set(runs))
    return found


def _date_of(rng: random.Random, around: date) -> Any:
    """An event date at a random precision, some time after `around`."""
    day = around + timedelta(days=rng.randint(-30, 420))
    kind = rng.random()
    if kind < 0.55:
        return day.isoformat()
    if kind < 0.75:
        end = day + timedelta(days=rng.randint(1, 6))
        return {"start": day.isoformat(), "end": end.isoformat()}
    if kind < 0.87:
        return f"{day.year:04d}-{day.month:02d}"
    if kind < 0.97:
        return f"{day.year:04d}"
    return "unknown"


def _split(items: int, meetings: int) -> list[dict[str, int]]:
    """How many of each kind every meeting gets, summing to exactly `items`."""
    total_share = sum(SHARES.values())
    plan = []
    for m in range(meetings):
        share = items // meetings + (1 if m < items % meetings else 0)
        counts = {k: share * v // total_share for k, v in SHARES.items()}
        counts["outcomes"] += share - sum(counts.values())
        plan.append(counts)
    return plan


class _Writer:
    """Synthetic meetings drawn from one random stream (the same seed, the same digest)."""

    def __init__(self, rng: random.Random, quotes: dict[str, list[str]]) -> None:
        self.rng = rng
        self.quotes = quotes
        self.doc_ids = sorted(quotes)

    def cite(self, n: int = 1) -> list[dict[str, str]]:
        """`n` citations: a random document and a verbatim quote from it."""
        out = []
        for _ in range(n):
            doc = self.rng.choice(self.doc_ids)
            out.append({"doc": doc, "quote": self.rng.choice(self.quotes[doc])})
        return out

    def naming(self, actor: str) -> list[dict[str, str]]:
        """A citation whose quote names `actor` (`knowledge check` refuses one that does not)."""
        docs = [d for d in self.doc_ids if any(actor in q.casefold() for q in self.quotes[d])]
        doc = self.rng.choice(docs)
        quotes = [q for q in self.quotes[doc] if actor in q.casefold()]
        return [{"doc": doc, "quote": self.rng.choice(quotes)}]

    def meeting(self, m: int, counts: dict[str, int]) -> dict[str, Any]:
        """Meeting number `m` (from 0) with `counts` items of each kind."""
        rng, cite = self.rng, self.cite
        day = FIRST_MEETING + timedelta(days=m * MEETING_STRIDE_DAYS)
        place, zone = PLACES[m % (len(PLACES) - 1)]
        chair = STATES[m % len(STATES)]
        meeting: dict[str, Any] = {
            "id": f"sco-defmin-{day.year}-{m:02d}",
            "title": f"Meeting {m + 1} of the SCO defence ministers (synthetic)",
            "number": m + 1,
            "date": day.isoformat(),
            "place": place,
            "timezone": zone,
            "chair": chair,
            "body": BODY,
            "summary": f"Synthetic meeting {m + 1}, chaired by {chair}, for benchmarks.",
            "sources": cite(2),
            "participants": [{"actor": chair, "role": "chair", "sources": self.naming(chair)}]
            + [
                {"actor": a, "sources": self.naming(a)}
                for a in rng.sample([s for s in STATES if s != chair], 4)
            ],
        }
        meeting["outcomes"] = self._outcomes(m, counts["outcomes"])
        meeting["positions"] = self._positions(m, counts["positions"])
        meeting["events"] = [self._event(m, i, day) for i in range(counts["events"])]
        meeting["talks"] = [self._talk(m, i) for i in range(counts["talks"])]
        return meeting

    def _outcomes(self, m: int, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        return [
            {
                "id": f"m{m:02d}-o{i:03d}",
                "theme": rng.choice(THEMES),
                "kind": rng.choice(["decision", "agreement", "statement"]),
                "summary": f"Synthetic outcome {i} of meeting {m + 1}: the ministers agreed.",
                "sources": self.cite(rng.choice([1, 1, 2])),
            }
            for i in range(count)
        ]

    def _positions(self, m: int, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        # The actors are drawn lazily, each just before its position's other draws.
        return [
            {
                "id": f"m{m:02d}-p{i:03d}",
                "actor": actor,
                **({"speaker": "Defence Minister"} if rng.random() < 0.5 else {}),
                "topic": rng.choice(TOPICS),
                "summary": f"Synthetic position {i} of {actor} at meeting {m + 1}.",
                "sources": self.cite(rng.choice([1, 1, 2])),
            }
            for i, actor in enumerate(rng.choice(POSITION_ACTORS) for _ in range(count))
        ]

    def _event(self, m: int, i: int, day: date) -> dict[str, Any]:
        rng = self.rng
        event_place, event_zone = rng.choice(PLACES)
        event: dict[str, Any] = {
            "id": f"m{m:02d}-e{i:03d}",
            "title": f"Synthetic event {i} announced at meeting {m + 1}",
            "kind": rng.choice(["exercise", "meeting", "festival", "conference"]),
            "date": _date_of(rng, day),
            "summary": "A synthetic dated event for benchmarks.",
            "sources": self.cite(),
        }
        if rng.random() < 0.9:
            event["place"] = event_place
        if event_zone and rng.random() < 0.8:
            event["timezone"] = event_zone
        return event

    def _talk(self, m: int, i: int) -> dict[str, Any]:
        rng = self.rng
        actor = rng.choice(STATES)
        others = rng.sample([s for s in STATES if s != actor], rng.randint(1, 4))
        return {
            "id": f"m{m:02d}-t{i:03d}",
            "actor": actor,
            "counterparts": others,
            "topics": rng.sample(TALK_TOPICS, rng.randint(1, 3)),
            "sources": self.cite(),
        }


def _copy_real_parts(directory: Path, base: Path) -> dict[str, list[str]]:
    """Copy the sources and actors of the digest `base` into `directory`; the quotes the
    sources offer."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base / "sources", directory / "sources", dirs_exist_ok=True)
    shutil.copy2(base / "actors.yaml", directory / "actors.yaml")
    actors = yaml.safe_load((directory / "actors.yaml").read_text("utf-8"))
    missing = {*STATES, BODY} - {a["id"] for a in actors["actors"]}
    if missing:
        raise ValueError(f"actors.yaml no longer has {sorted(missing)}: update bench/gen_digest.py")
    index_file = directory / "sources" / "index.yaml"
    index = yaml.safe_load(index_file.read_text("utf-8"))
    for doc in index["documents"]:
        doc.pop("meetings", None)  # the generated meetings have other ids
        # Every generated meeting cites these: published before the first, so that every
        # meeting is known from its own date on (replies are of the digest as of now).
        doc["published"] = (FIRST_MEETING - timedelta(days=1)).isoformat()
    index_file.write_text(yaml.safe_dump(index, sort_keys=False, allow_unicode=True), "utf-8")
    return _quotes(directory / "sources", index["documents"])


def generate(
    directory: Path,
    meetings: int = 50,
    items: int = 10_000,
    seed: int = 2021,
    base: Path = DEFAULT_KNOWLEDGE_DIR,
) -> dict[str, Any]:
    """Write the digest into `directory` (created; sources and actors copied). Returns stats."""
    rng = random.Random(seed)
    directory = Path(directory)
    writer = _Writer(rng, _copy_real_parts(directory, base))
    out_meetings = [writer.meeting(m, counts) for m, counts in enumerate(_split(items, meetings))]
    counted = {kind: sum(len(meeting[kind]) for meeting in out_meetings) for kind in SHARES}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = "# Synthetic digest for benchmarks (bench/gen_digest.py); quotes are verbatim.\n"
    text += yaml.dump(
        {"meetings": out_meetings},
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
        default_flow_style=False,
    )
    path = directory / "meetings.yaml"
    path.write_text(text, "utf-8")
    last = FIRST_MEETING + timedelta(days=(meetings - 1) * MEETING_STRIDE_DAYS)
    return {
        "directory": str(directory),
        "meetings": meetings,
        "items": sum(counted.values()),
        "by_kind": counted,
        "meetings_yaml_bytes": path.stat().st_size,
        "first_meeting": FIRST_MEETING.isoformat(),
        "last_meeting": last.isoformat(),
        "seed": seed,
    }


def main() -> None:
    """Generate into the directory given, then load it to check it is valid."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--meetings", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-check", action="store_true", help="skip validating the result")
    args = parser.parse_args()
    stats = generate(args.directory, args.meetings, args.items, args.seed)
    if not args.no_check:
        from bot.knowledge.loader import load_digest

        stats["version"] = load_digest(args.directory).version
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
