"""The `sco-bot` command: serve, ask, console, knowledge check."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.answer_files import AnswerFiles, answer_key
from bot.clock import Clock, parse_instant
from bot.commands.parsing import Request, parse
from bot.knowledge.errors import DigestError, Problem
from bot.settings import Settings, SettingsError, load_settings

# The schema, the template engine and Slack's libraries are imported where used: a cached
# `ask` needs none of them, and the terminal never needs Slack's.

EXIT_USAGE = 2
CONSOLE_CHANNEL = "console"
EXIT_INVALID_DIGEST = 1
CONSOLE_USER = "console-user"

if TYPE_CHECKING:
    from bot.knowledge.digest import Digest
    from bot.services import Services


class _Version(argparse.Action):
    """`--version`: the installed distribution's version (read only when asked)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("sco-bot")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"sco-bot {found}")
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits 2, never with a traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sco-bot", description="Slack briefings on SCO meetings.")
    parser.add_argument("--version", nargs=0, action=_Version, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser("serve", help="answer Slack (HTTP, or Socket Mode)")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    serve.add_argument("--threads", type=int, default=8, help="server worker threads")
    serve.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")

    ask = commands.add_parser("ask", help="run one /sco command and print the reply")
    ask.add_argument("text", nargs="*", help='the text after /sco, e.g. "positions china"')
    ask.add_argument("--at", metavar="DATETIME", help="treat this ISO date/datetime as now")
    ask.add_argument("--format", choices=("text", "blocks"), default="text")
    ask.add_argument(
        "--channel", default=CONSOLE_CHANNEL, help="channel id for `remind` and `follow`"
    )

    console = commands.add_parser("console", help="type /sco commands at a prompt")
    console.add_argument("--at", metavar="DATETIME", help="start the clock at this ISO datetime")
    console.add_argument(
        "--channel", default=CONSOLE_CHANNEL, help="channel id for `remind` and `follow`"
    )

    reminders = commands.add_parser("reminders", help="plan or sync scheduled reminders")
    reminder_commands = reminders.add_subparsers(
        dest="reminders_command", required=True, parser_class=_Parser
    )
    plan = reminder_commands.add_parser("plan", help="print what would be scheduled (no Slack)")
    plan.add_argument("--at", metavar="DATETIME", help="treat this ISO date/datetime as now")
    plan.add_argument("--channel", help="only this channel")
    sync = reminder_commands.add_parser("sync", help="reconcile once against Slack")
    sync.add_argument("--at", metavar="DATETIME", help="treat this ISO date/datetime as now")

    calendar = commands.add_parser("calendar", help="the digest's events as an iCalendar file")
    calendar_commands = calendar.add_subparsers(
        dest="calendar_command", required=True, parser_class=_Parser
    )
    export = calendar_commands.add_parser(
        "export", help="write the events (RFC 5545) as of now, as `serve`'s feed publishes them"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.add_argument("--at", metavar="DATETIME", help="treat this ISO date/datetime as now")

    knowledge = commands.add_parser("knowledge", help="work with the knowledge digest")
    knowledge_commands = knowledge.add_subparsers(
        dest="knowledge_command", required=True, parser_class=_Parser
    )
    check = knowledge_commands.add_parser("check", help="validate a digest directory")
    check.add_argument("directory", nargs="?", help="default: SCO_KNOWLEDGE_DIR or knowledge/")
    covered = knowledge_commands.add_parser(
        "coverage", help="list each source sentence and the digest items that cite it"
    )
    covered.add_argument("directory", nargs="?", help="default: SCO_KNOWLEDGE_DIR or knowledge/")
    covered.add_argument("--all", action="store_true", help="every sentence, not only the gaps")
    _workbench_parsers(knowledge_commands)
    return parser


def _workbench_parsers(commands: argparse._SubParsersAction[_Parser]) -> None:
    """The curator's workbench: add-source, draft, promote, diff, review."""
    where = "the digest (default: SCO_KNOWLEDGE_DIR or knowledge/)"
    add = commands.add_parser(
        "add-source",
        help="store a saved web page's main text (or a text file) as a new source",
        description="Extract a saved page's main text (trafilatura) and its title, publisher, "
        "publication date (htmldate) and address into sources/<id>.txt and sources/index.yaml; "
        "the fields it cannot fill are left TODO. Never overwrites.",
    )
    add.add_argument("file", type=Path, help="a saved web page (.html) or a UTF-8 text file")
    add.add_argument("--id", help="the document id (default: from the file name)")
    add.add_argument("--dir", metavar="DIR", help=where)
    draft = commands.add_parser(
        "draft",
        help="draft the items a document supports, in drafts/<doc>.yaml (not served)",
        description="Write drafts/<doc>.yaml: every sentence of the document as a candidate "
        "claim, talks, event or not_briefed entry, with the voice, actors, dates and status "
        "word guessed for the curator to confirm.",
    )
    draft.add_argument("doc", help="the document id (sources/index.yaml)")
    draft.add_argument("--meeting", required=True, help="the meeting id the items belong to")
    draft.add_argument("--dir", metavar="DIR", help=where)
    promote = commands.add_parser(
        "promote",
        help="move a reviewed draft's items into meetings.yaml",
        description="Refuses while any {guess: ...} or TODO is left, or the result would not "
        "validate; then writes meetings.yaml and the index whole and removes the draft.",
    )
    promote.add_argument("draft", help="drafts/<doc>.yaml (or the document id)")
    promote.add_argument("--dir", metavar="DIR", help=where)
    diff = commands.add_parser(
        "diff",
        help="what changed between two digests (directories or git revisions)",
        description="Meetings, claims, events, talks and documents added, removed or changed. "
        "OLD defaults to HEAD (the digest's last commit), NEW to the digest directory.",
    )
    diff.add_argument("old", nargs="?", default="HEAD", help="a directory or git revision")
    diff.add_argument("new", nargs="?", help="a directory or git revision (default: the digest)")
    diff.add_argument(
        "--format",
        choices=("text", "json", "news"),
        default="text",
        help="news: the “What's new” post a channel following everything would get",
    )
    diff.add_argument("--at", help="news as of this time (ISO; default SCO_CLOCK or now)")
    diff.add_argument("--dir", metavar="DIR", help=where)
    review = commands.add_parser(
        "review",
        help="write a static HTML report of every source sentence and the items citing it",
        description="Writes index.html and one page per document into DIR: each sentence "
        "highlighted by the items citing it, not-briefed ones grey, unaccounted ones red.",
    )
    review.add_argument("--meeting", help="only this meeting's documents and items")
    review.add_argument("-o", "--output", type=Path, default=Path("review"), help="default review/")
    review.add_argument("--dir", metavar="DIR", help=where)


def _clock(parser: argparse.ArgumentParser, settings: Settings, at: str | None) -> Clock:
    if at is None:
        return settings.clock()
    try:
        return Clock(start=parse_instant(at, settings.timezone))
    except ValueError:
        parser.error(f"--at {at!r} is not an ISO date or datetime (e.g. 2021-07-29T09:00)")


def _services(settings: Settings, clock: Clock | None = None, *, serving: bool = False) -> Services:
    from bot.services import build_services

    _make_state_dir(settings)
    try:
        return build_services(settings, clock, serving=serving)
    except DigestError as exc:
        _fail_digest(exc)


def _make_state_dir(settings: Settings) -> None:
    """Create the SQLite ledger's directory (the XDG state directory by default)."""
    if settings.database_url.startswith("sqlite:///"):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)


def _fail_digest(exc: DigestError) -> NoReturn:
    count = len(exc.problems)
    noun = "problem" if count == 1 else "problems"
    head = f"sco-bot: the knowledge digest is invalid ({count} {noun}):"
    _complain([head, *map(str, exc.problems)])
    sys.exit(EXIT_INVALID_DIGEST)


def _complain(lines: list[str]) -> None:
    """Say what stops the command on stderr: as JSON log lines under SCO_LOG_FORMAT=json (a
    log collector reads every line of a server as JSON), else as plain lines."""
    if os.environ.get("SCO_LOG_FORMAT", "").strip().casefold() != "json":
        for line in lines:
            print(line, file=sys.stderr)
        return
    import logging

    from bot.logs import configure

    if not logging.getLogger().handlers:
        configure("json")
    for line in lines:
        logging.getLogger("sco_bot").error("%s", line)


def _ask(services: Services, request: Request, now: datetime, fmt: str, channel: str) -> str:
    from bot.commands.situation import Caller
    from bot.rendering.terminal import to_terminal

    reply = services.pipeline.answer(request, now, Caller(channel, CONSOLE_USER))
    if fmt == "blocks":
        pages = [m.payload() for m in reply.messages]
        return json.dumps(pages[0] if len(pages) == 1 else pages, indent=2, ensure_ascii=False)
    return to_terminal(reply.messages).rstrip("\n")


def _console(services: Services, channel: str) -> None:
    from bot.rendering.terminal import line_editing, show

    print("sco-bot console: type a /sco command (e.g. `brief`, `upcoming`), `quit` to leave.")
    state = services.settings.state_dir
    with line_editing(state / "console_history" if state else None):
        _console_loop(services, channel, show)


def _console_loop(services: Services, channel: str, show: Callable[[str], None]) -> None:
    while True:
        try:
            line = input("/sco ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        text = line.strip().removeprefix("/sco").strip()
        if text.casefold() in ("quit", "exit", ":q"):
            return
        show(_ask(services, parse(text), services.clock.now(), "text", channel))
        print()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    # Slack's libraries are imported here only: the terminal paths start without them.
    from bot.serve import serve

    socket_mode = args.socket or bool(settings.slack_app_token)
    settings.require_slack(socket_mode)
    services = _services(settings, serving=True)
    serve(services, socket_mode=socket_mode, host=args.host, port=args.port, threads=args.threads)


def _reminders(settings: Settings, clock: Clock, args: argparse.Namespace) -> int:
    from bot.rendering.terminal import show, to_terminal

    services = _services(settings, clock)
    now = clock.now()
    digest = services.digests.current.as_of(now)
    context = {
        "events": digest.events_by_id,
        "now": now,
        "timezone": services.pipeline.timezone_name,
    }
    if args.reminders_command == "plan":
        from bot.reminders.plan import plan_channel

        subs = [
            s
            for s in services.reminders.ledger.subscriptions()
            if args.channel in (None, s.channel_id)
        ]
        plans = [(s, plan_channel(digest, s, now)) for s in subs]
        pages = services.pipeline.render(
            "cli_plan.j2", plans=plans, channel=args.channel, **context
        )
        show(to_terminal(pages).rstrip("\n"))
        return 0
    if not settings.slack_bot_token and not settings.oauth:
        raise SettingsError(["SLACK_BOT_TOKEN is not set (sync schedules through Slack's API)"])
    from bot.reminders.delivery import SyncReport

    report = SyncReport()
    for delivery in services.deliveries():  # every workspace with reminders, each its token
        report.merge(delivery.reconcile(now))
    pages = services.pipeline.render("cli_sync.j2", report=report, **context)
    show(to_terminal(pages).rstrip("\n"))
    return 1 if report.failed else 0


def _calendar_export(settings: Settings, clock: Clock, output: str | None) -> int:
    """Write the digest's events as of now as an iCalendar file (stdout, or atomically FILE)."""
    from bot.rendering.ical import calendar_feed

    services = _services(settings, clock)
    digest = services.digests.current.as_of(clock.now())
    feed = calendar_feed(digest, settings.timezone, services.pipeline.renderer)
    if output is None:
        sys.stdout.buffer.write(feed)
        sys.stdout.flush()
        return 0
    target = Path(output)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(feed)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        print(f"sco-bot: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _cached_ask(settings: Settings, clock: Clock, text: str, fmt: str, channel: str) -> str:
    now = clock.now()
    request = parse(text)  # once: the key and the answer both come from it
    key = answer_key(settings, request, now, fmt)
    # SCO_ANSWER_CACHE_MB=0 turns off the answers on disk too (SCO_CACHE_DIR=off, all).
    wanted = settings.answer_cache_mb and key
    cache = AnswerFiles(settings.cache_dir) if settings.cache_dir and wanted else None
    if cache and key and (stored := cache.get(key)) is not None:
        return stored
    answer = _ask(_services(settings, clock), request, now, fmt, channel)
    if cache and key:
        cache.put(key, answer)
    return answer


def _digest_dir(parser: argparse.ArgumentParser, settings: Settings, given: str | None) -> Path:
    directory = Path(given) if given else settings.knowledge_dir
    if not directory.is_dir():
        parser.error(f"{directory} is not a directory")
    return directory


def _check(parser: argparse.ArgumentParser, settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load_digest

    directory = _digest_dir(parser, settings, args.directory)
    warnings: list[Problem] = []
    try:
        digest = load_digest(directory, warnings=warnings, now=settings.clock().now())
    except DigestError as exc:
        _fail_digest(exc)
    if args.knowledge_command == "coverage":
        return _coverage(settings, directory, digest, args.all)
    meetings = len(digest.meetings)
    items = sum(
        len(m.outcomes) + len(m.positions) + len(m.events) + len(m.talks) for m in digest.meetings
    )
    print(
        f"{directory}: valid (version {digest.version}; {_count(meetings, 'meeting')}, "
        f"{_count(items, 'item')}, {_count(len(digest.actors), 'actor')}, "
        f"{_count(len(digest.documents), 'source')})"
    )
    for warning in warnings:
        print(f"warning: {warning}")
    return _check_drafts(directory, digest)


def _check_drafts(directory: Path, digest: Digest) -> int:
    """Drafts are checked as the digest is: a problem fails the check; guesses and TODOs are
    counted (a draft holds them until promoted)."""
    from bot.curation.drafts import check_drafts, index_todos

    todos = index_todos(directory)
    for problem in todos:
        print(problem, file=sys.stderr)
    failed = len(todos)
    for draft in check_drafts(directory, digest):
        for problem in draft.problems:
            print(problem, file=sys.stderr)
        failed += len(draft.problems)
        guesses = len(draft.guesses)
        left = "1 guess" if guesses == 1 else f"{guesses} guesses"
        print(
            f"{draft.name}: draft for {draft.meeting}, {_count(len(draft.items), 'item')}, "
            f"{_count(len(draft.problems), 'problem')}; {left} and "
            f"{_count(len(draft.todos), 'TODO')} to confirm before promote"
            + (
                f"; {_count(len(draft.unaccounted), 'sentence')} no item quotes"
                if draft.unaccounted
                else ""
            )
        )
    return EXIT_INVALID_DIGEST if failed else 0


def _workbench(
    parser: argparse.ArgumentParser, settings: Settings, args: argparse.Namespace
) -> int:
    from bot.curation.commands import workbench_outcome
    from bot.curation.files import Refusal
    from bot.rendering.renderer import Renderer
    from bot.rendering.terminal import show, to_terminal

    directory = _digest_dir(parser, settings, args.dir)
    args.now = _clock(parser, settings, getattr(args, "at", None)).now()
    args.tz = settings.timezone
    try:
        template, context, code = workbench_outcome(
            args.knowledge_command, directory, args, settings.templates_dir
        )
    except Refusal as exc:
        print(f"sco-bot knowledge {args.knowledge_command}: {exc}", file=sys.stderr)
        return EXIT_INVALID_DIGEST
    if template is None and "terminal" in context:
        show(context["terminal"])  # a message as read: styled on a terminal, plain when piped
    elif template is None:
        print(context["output"])
    else:
        pages = Renderer(settings.templates_dir).messages(template, context)
        print(to_terminal(pages).rstrip("\n"))
    return code


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _coverage(settings: Settings, directory: Path, digest: Digest, verbose: bool) -> int:
    from bot.knowledge.coverage import coverage
    from bot.rendering.renderer import Renderer
    from bot.rendering.terminal import to_terminal

    sources = coverage(digest, directory)
    total = sum(len(s.sentences) for s in sources)
    covered = sum(len(s.sentences) - len(s.uncovered) for s in sources)
    percent = round(covered * 100 / total, 1) if total else 100.0
    context = {
        "sources": sources,
        "verbose": verbose,
        "total": total,
        "covered": covered,
        "percent": percent,
    }
    pages = Renderer(settings.templates_dir).messages("cli_coverage.j2", context)
    print(to_terminal(pages).rstrip("\n"))
    return 0 if covered == total else 1


def _configure_logging(settings: Settings) -> None:
    from bot.logs import configure

    configure(settings.log_format, settings.log_level, settings.secrets)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sco-bot` command."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        _configure_logging(settings)
        if args.command == "knowledge" and args.knowledge_command in ("check", "coverage"):
            return _check(parser, settings, args)
        if args.command == "knowledge":
            return _workbench(parser, settings, args)
        if args.command == "serve":
            if not 0 <= args.port <= 65535:
                parser.error(f"--port {args.port} is not a TCP port")
            _serve(settings, args)
            return 0
        clock = _clock(parser, settings, args.at)
        if args.command == "reminders":
            return _reminders(settings, clock, args)
        if args.command == "calendar":
            return _calendar_export(settings, clock, args.output)
        if args.command == "ask":
            answer = _cached_ask(settings, clock, " ".join(args.text), args.format, args.channel)
            if args.format == "blocks":
                print(answer)  # exactly Slack's payload, whatever the output is
            else:
                from bot.rendering.terminal import show

                show(answer)
            return 0
        _console(_services(settings, clock), args.channel)
        return 0
    except SettingsError as exc:
        _complain([f"sco-bot: {problem}" for problem in exc.problems])
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
