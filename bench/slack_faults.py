"""The red team's reproductions of issue 25, each reporting the figure it asks for.

    python -m bench.slack_faults [--only NAME ...] [--out FILE]

Each scenario runs `sco-bot serve` (waitress, 8 threads) as its own process against a fake
Slack on loopback (bench.served), or the part concerned in this process, and reports what a
client saw. Nothing fails on a slow machine; the figures are printed and written as JSON.

- `burst`: 20 @mentions at once in one channel, Slack allowing chat.postMessage once a second
  (429 and Retry-After past that); meanwhile `/sco help` and `GET /healthz` every 0.2 s.
- `silent`: Slack stops answering (every call held); 10 mentions, 5 Home tab opens, 5
  `open_brief` and 5 `ask_brief` presses at once; `/sco help` and `/healthz` meanwhile for 12 s.
- `silent_start`: Slack silent from the start: the first `/sco help` and `/healthz`.
- `retry_after`: one mention whose chat.postMessage Slack answers 429, Retry-After 20.
- `response_url`: an `ask_brief` press whose response_url never answers.
- `sigterm`: SIGTERM while a Share's response_url never answers: time to exit.
- `buttons`: `ask_brief` carrying `remind on 1d` (item 4), a signed block_actions with no
  action (item 5), a menu chosen on a public thread answer (item 7).
- `logs`: the text log format fed newlines in channel, command and response_url, and a
  100 KB action_id (item 8): forged lines and the longest line.
- `watcher`: a same-size edit that keeps the file's mtime (item 9); a symlinked `sources/`
  leading outside the digest (item 2): are the edits seen?
- `dedupe`: the trigger-id store: one press at 52,000 stored ids, and the memory of 2,000
  forged 100 KB ids (item 6).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.figures import summary
from bench.served import Answer, Served, serve_env, serving
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from testkit.fakeslack import STALL, FakeSlack
from testkit.slack_requests import action_body, event_body, mention_body, slash_body
from testkit.waiting import wait_until

QUESTION = "what did china say about afghanistan"


class Probe:
    """`/sco help` and `GET /healthz` every `every` s, each on its own thread, each timed."""

    def __init__(self, bot: Served, every: float = 0.2) -> None:
        self.bot, self.every = bot, every
        self.help: list[float] = []
        self.health: list[float] = []
        self.statuses: dict[str, int] = {}
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(self._help, self.help), daemon=True),
            threading.Thread(target=self._run, args=(bot.health, self.health), daemon=True),
        ]

    def __enter__(self) -> Probe:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def _help(self) -> Answer:
        return self.bot.post(slash_body("help"))

    def _run(self, send: Callable[[], Answer], into: list[float]) -> None:
        while not self._stop.wait(self.every):
            answer = send()
            into.append(answer.seconds)
            key = str(answer.status)
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def figures(self) -> dict[str, Any]:
        return {
            "help_seconds": summary(self.help, "s", raw=False) if self.help else None,
            "health_seconds": summary(self.health, "s", raw=False) if self.health else None,
            "statuses": self.statuses,
        }


def at_once(sends: list[Callable[[], Answer]]) -> list[Answer]:
    """Send every request at the same moment, one thread each; their answers in order."""
    answers: list[Answer | None] = [None] * len(sends)
    gate = threading.Barrier(len(sends))

    def one(i: int) -> None:
        gate.wait()
        answers[i] = sends[i]()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return [a or Answer(0, b"", float("nan")) for a in answers]


def mention(bot: Served, i: int, channel: str = "C0BURST") -> Callable[[], Answer]:
    return lambda: bot.post(mention_body(QUESTION, f"EvM{i}", channel), json_body=True)


def home(bot: Served, i: int) -> Callable[[], Answer]:
    event = {"type": "app_home_opened", "user": f"U{i:05d}", "channel": "D1", "tab": "home"}
    return lambda: bot.post(event_body(event, f"EvH{i}"), json_body=True)


def press(
    bot: Served, action: str, value: str, url: str, trigger: str = "1.2.3", **kw: Any
) -> Callable[[], Answer]:
    return lambda: bot.post(action_body(action, value, url, trigger_id=trigger, **kw))


def acks(answers: list[Answer]) -> dict[str, Any]:
    seconds = [a.seconds for a in answers]
    return {
        **summary(seconds, "s", raw=False),
        "over_1s": sum(s > 1 for s in seconds),
        "over_3s": sum(s > 3 for s in seconds),
        "statuses": sorted({a.status for a in answers}),
    }


def warm(bot: Served, fake: FakeSlack) -> None:
    """One command, one health check and one mention answered: auth.test is behind us."""
    bot.post(slash_body("help"))
    bot.health()
    bot.post(mention_body("help", "EvWarm", "C0WARM"), json_body=True)
    wait_until(lambda: bool(fake.calls_to("chat.postMessage")), 30)


def _posted(fake: FakeSlack) -> int:
    return len(fake.calls_to("chat.postMessage")) - fake.answered_429


def burst(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        fake.limit("chat.postMessage", 1.0)
        before = _posted(fake)
        started = time.perf_counter()
        with Probe(bot) as probe:
            answers = at_once([mention(bot, i) for i in range(20)])
            done = wait_until(lambda: _posted(fake) >= before + 20, 120)
        return {
            "mention_acks": acks(answers),
            **probe.figures(),
            "all_20_posted_seconds": round(time.perf_counter() - started, 2) if done else None,
            "posted_within_120s": _posted(fake) - before,
            "answered_429": fake.answered_429,
        }


def silent(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        url = fake.response_url("silent")
        fake.hold()
        with Probe(bot) as probe:
            sends = [mention(bot, i) for i in range(10)] + [home(bot, i) for i in range(5)]
            sends += [press(bot, "open_brief", "brief", url, f"9.{i}") for i in range(5)]
            sends += [press(bot, "ask_brief", "brief", url) for _ in range(5)]
            answers = at_once(sends)
            held = threading.Event()
            held.wait(max(0.0, 12 - max(a.seconds for a in answers)))
        fake.release()
        return {"acks": acks(answers), **probe.figures(), "calls_held": fake.held()}


def silent_start(fake: FakeSlack, state: Path) -> dict[str, Any]:
    fake.hold()
    with serving(serve_env(fake.api_url, state)) as bot:
        first = bot.post(slash_body("help"))
        health = bot.health()
        then = bot.post(slash_body("help"))
    fake.release()
    return {
        "first_help_seconds": round(first.seconds, 3),
        "first_help_status": first.status,
        "health_seconds": round(health.seconds, 3),
        "second_help_seconds": round(then.seconds, 3),
    }


def retry_after(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        fake.fail("chat.postMessage", 429, retry_after=20)
        with Probe(bot) as probe:
            answer = mention(bot, 1)()
        return {"mention_ack_seconds": round(answer.seconds, 3), **probe.figures()}


def response_url(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        fake.fail("/respond/slow", STALL)
        answer = press(bot, "ask_brief", "brief", fake.response_url("slow"))()
        return {"ack_seconds": round(answer.seconds, 3), "status": answer.status}


def sigterm(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        fake.fail("/respond/share", STALL)
        ack = press(bot, "share", "brief", fake.response_url("share"), ephemeral=True)()
        reached = wait_until(lambda: bool(fake.calls_to("/respond/share")), 30)
        started = time.perf_counter()
        bot.proc.send_signal(signal.SIGTERM)
        bot.proc.wait(120)
        return {
            "share_ack_seconds": round(ack.seconds, 3),
            "response_url_reached": reached,
            "exit_seconds": round(time.perf_counter() - started, 2),
            "exit_status": bot.proc.returncode,
        }


def buttons(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state)) as bot:
        warm(bot, fake)
        # Item 4: a button carrying a reminder change.
        press(bot, "ask_brief", "remind on 1d", fake.response_url("ask"))()
        wait_until(lambda: bool(fake.calls_to("/respond/ask")), 10)
        wait_until(lambda: bool(fake.calls_to("chat.scheduleMessage")), 3)
        replies = [json.dumps(c.body) for c in fake.calls_to("/respond/ask")]
        # Item 5: signed, but no action in it.
        empty = json.dumps({"type": "block_actions", "actions": [], "api_app_id": "A1"})
        hollow = bot.post("payload=" + empty)
        # Item 7: a menu chosen on a public answer (posted in a thread).
        url = fake.response_url("menu")
        press(bot, "brief_meeting", "", url, selected="sco-defmin-2021-dushanbe")()
        wait_until(lambda: bool(fake.calls_to("/respond/menu")), 10)
        menu = [c.body for c in fake.calls_to("/respond/menu")]
        return {
            "ask_button_remind_on": {
                "schedule_calls": len(fake.calls_to("chat.scheduleMessage")),
                "replied": any("Reminders for this channel" in r for r in replies),
                "replies": len(replies),
            },
            "empty_block_actions_status": hollow.status,
            "menu_on_public_answer": {
                "replaced_original": any(b.get("replace_original") for b in menu),
                "response_types": sorted({str(b.get("response_type")) for b in menu}),
            },
        }


FORGED = "FORGED sco_bot INFO forged line"


def logs(fake: FakeSlack, state: Path) -> dict[str, Any]:
    with serving(serve_env(fake.api_url, state, SCO_LOG_LEVEL="INFO")) as bot:
        warm(bot, fake)
        written = len(bot.lines)
        bot.post(slash_body("help", channel_id=f"C1\n{FORGED} 1"))
        bot.post(slash_body("help", command=f"/sco\n{FORGED} 2"))
        bot.post(slash_body("help", response_url=f"http://127.0.0.1:9/r\n{FORGED} 3"))
        bot.post(action_body("x" * 100_000, "brief", fake.response_url("x")))
        bot.post(action_body(f"share\n{FORGED} 4", "brief", fake.response_url("y")))
        bot.post(
            event_body(
                {"type": "app_mention", "user": "U1", "text": "hi", "channel": f"C1\n{FORGED} 5"},
                "EvLog",
            ),
            json_body=True,
        )
        bot.health()
        wait_until(lambda: len(bot.lines) > written + 5, 5)
        lines = bot.lines[written:]
        return {
            "lines": len(lines),
            "forged_lines": sum(line.startswith("FORGED") for line in lines),
            "longest_line_chars": max(len(line) for line in lines),
            "lines_over_10k": sum(len(line) > 10_000 for line in lines),
        }


def watcher(_fake: FakeSlack, state: Path) -> dict[str, Any]:
    from bot.knowledge.holder import DigestHolder
    from bot.knowledge.loader import load_digest
    from bot.knowledge.reload import DigestReloader
    from bot.knowledge.versioning import content_version

    # Item 9: a same-size edit that keeps the mtime.
    digest_dir = state / "digest"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, digest_dir)
    holder = DigestHolder(load_digest(digest_dir))
    reloader = DigestReloader(holder, digest_dir, 0.01, lambda _d: None, lambda _e: None)
    actors = digest_dir / "actors.yaml"
    text, stat = actors.read_text(), actors.stat()
    edited = text.replace("Kazakhstan", "Kazakhstam", 1)
    assert len(edited) == len(text) and edited != text
    actors.write_text(edited)
    os.utime(actors, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    seen = [reloader.check() for _ in range(3)]
    shipped = load_digest(DEFAULT_KNOWLEDGE_DIR).version
    same_size = {"swapped": any(seen), "version_changed": holder.current.version != shipped}
    # Item 2: sources/ a symlink to a directory outside the digest.
    linked, shared = state / "linked", state / "shared-sources"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, linked)
    shutil.move(linked / "sources", shared)
    (linked / "sources").symlink_to(shared, target_is_directory=True)
    try:
        before = content_version(linked)
        loaded = load_digest(linked).version
    except Exception as exc:
        return {"same_size_edit": same_size, "symlinked_sources": {"refused": str(exc)[:200]}}
    holder = DigestHolder(load_digest(linked))
    reloader = DigestReloader(holder, linked, 0.01, lambda _d: None, lambda _e: None)
    index = shared / "index.yaml"
    index.write_text(index.read_text().replace("title: ", "title: Edited ", 1))
    seen = [reloader.check() for _ in range(3)]
    return {
        "same_size_edit": same_size,
        "symlinked_sources": {
            "loaded": loaded == before,
            "version_changed_after_edit": content_version(linked) != before,
            "watcher_swapped": any(seen),
        },
    }


def dedupe(_fake: FakeSlack, _state: Path) -> dict[str, Any]:
    from bot.slack.responses import Once

    store = Once()
    for i in range(52_000):
        store.first(f"{i}.{i}.trigger")
    timings = []
    for i in range(200):
        started = time.perf_counter()
        store.first(f"new.{i}")
        timings.append((time.perf_counter() - started) * 1e6)
    tracemalloc.start()
    forged = Once()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(2_000):
        forged.first(f"{i:06d}" + "x" * 100_000)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {
        "press_at_52000_ids_us": summary(timings, "µs", raw=False),
        "forged_2000_x_100kb_held_mb": round(held / 1e6, 1),
    }


SCENARIOS: dict[str, Callable[[FakeSlack, Path], dict[str, Any]]] = {
    "burst": burst,
    "silent": silent,
    "silent_start": silent_start,
    "retry_after": retry_after,
    "response_url": response_url,
    "sigterm": sigterm,
    "buttons": buttons,
    "logs": logs,
    "watcher": watcher,
    "dedupe": dedupe,
}


def run(only: list[str]) -> dict[str, Any]:
    """Every scenario named (all by default), each with a fresh fake Slack and state."""
    figures: dict[str, Any] = {}
    for name in only or list(SCENARIOS):
        with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
            started = time.perf_counter()
            figures[name] = SCENARIOS[name](fake, Path(tmp))
            figures[name]["scenario_seconds"] = round(time.perf_counter() - started, 1)
        print(name, json.dumps(figures[name], ensure_ascii=False), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_faults", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=[])
    parser.add_argument("--out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = run(args.only)
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
