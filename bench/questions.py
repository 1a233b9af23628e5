"""6. questions: the two analyst question sets — tests/questions.yaml on the shipped meeting and
tests/questions_rinnhaven.yaml on the fictional 2033 meeting of the three-meeting test digest —
recall@1 and recall@3 (an expected id on the answer's first line / first three lines) and the
share of answers showing every expected fact in their first 20 blocks; answer times (the search
alone, and the whole reply with the answer cache off, SCO_ANSWER_CACHE_MB=0, so that every reply
is searched and rendered in full) on the shipped digest, then the shipped questions on a
generated digest of 10,000 items (bench.gen_digest). The search index is built first, as `serve`
does at start. `python -m bench.questions [--quick]`."""

from __future__ import annotations

import dataclasses
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.config import Config, run_alone
from bench.figures import minutes, summary

GOAL = (
    "recall@3 and every fact shown ≥ 95% on each set; an answer < 20 ms on the shipped digest, "
    "< 5 ms at 10,000 items"
)


def _times(digest: Any, pipeline: Any, now: datetime, repeats: int) -> dict[str, Any]:
    """Per question, `repeats` times: the search alone, then the whole reply (`ask <question>`,
    each at a new minute, from a pipeline whose answer cache is off: searched and rendered)."""
    from bot.search.answer import answer
    from testkit.questions import load_questions

    _at, questions = load_questions()
    search, reply = [], []
    later = iter(minutes(now + timedelta(minutes=1), repeats * len(questions)))
    gc.collect()
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            answer(digest, question.text, now)
            middle = time.perf_counter()
            pipeline.respond(f"ask {question.text}", next(later))
            reply.append((time.perf_counter() - middle) * 1000)
            search.append((middle - started) * 1000)
    return {
        "search_ms": summary(search, "ms", raw=False),
        "reply_ms": summary(reply, "ms", raw=False),
    }


def _prepared(directory: Path | None, result: dict[str, Any]) -> tuple[Any, Any]:
    """The digest and the pipeline `serve` would build on it, with the index build timed."""
    from bot.knowledge.loader import load_digest
    from bot.rendering.renderer import Renderer
    from bot.search.index import search_index
    from bot.services import Services
    from bot.settings import Settings

    # The answer cache off: every reply measured is searched and rendered in full.
    settings = Settings(knowledge_dir=directory) if directory else Settings()
    settings = dataclasses.replace(settings, answer_cache_mb=0)
    digest = load_digest(Path(settings.knowledge_dir))
    started = time.perf_counter()
    index = search_index(digest)
    result["index_build_ms"] = (time.perf_counter() - started) * 1000
    result["index_rows"] = len(index)
    renderer = Renderer(settings.templates_dir, precompile=True)
    services = Services(settings, settings.clock(), digest, renderer)
    services.prepare(digest)
    return digest, services.pipeline


def _quality(digest: Any, pipeline: Any, path: Path, result: dict[str, Any]) -> None:
    """Recall@1 and @3 of one question set, and the share of answers showing every fact."""
    from testkit.questions import ask_all, facts_missed, load_questions, recall

    now, questions = load_questions(path)
    result.update(now=now.isoformat(), questions=len(questions))
    outcomes = ask_all(digest, questions, now)
    result["recall_at_1"] = recall(outcomes, 1)
    result["recall_at_3"] = recall(outcomes, 3)
    result["missed_at_3"] = [
        {"question": o.question.text, "expected": sorted(o.question.expect), "found": o.found}
        for o in outcomes
        if o.rank is None or o.rank > 3
    ]
    missed = [(q, m) for q, m in facts_missed(pipeline, questions, now) if m]
    result["facts_shown"] = 1 - len(missed) / len(questions)
    result["facts_missed"] = [{"question": q.text, "missing": m} for q, m in missed]


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Recall and facts on both question sets, times on the shipped digest, then times on a
    generated one."""
    from bench.gen_digest import generate
    from testkit.questions import QUESTION_SET, RINNHAVEN_SET, load_questions, three_meetings

    now, _questions = load_questions()
    shipped: dict[str, Any] = {}
    digest, pipeline = _prepared(None, shipped)
    _quality(digest, pipeline, QUESTION_SET, shipped)
    shipped.update(_times(digest, pipeline, now, max(3, cfg.answer_repeats)))
    second: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        other, other_pipeline = _prepared(three_meetings(Path(tmp) / "knowledge"), second)
        _quality(other, other_pipeline, RINNHAVEN_SET, second)
    scaled: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "knowledge"
        scaled["generated"] = generate(directory, cfg.digest_meetings, cfg.digest_items)
        big, big_pipeline = _prepared(directory, scaled)
        last = max(m.date.first for m in big.meetings if m.date.first is not None)
        later = datetime(last.year, last.month, last.day, 9, 0, tzinfo=UTC) + timedelta(days=14)
        scaled["now"] = later.isoformat()
        scaled.update(_times(big, big_pipeline, later, max(2, cfg.answer_repeats // 5)))
    return {"shipped": shipped, "second": second, "scaled": scaled}


def main(argv: list[str] | None = None) -> int:
    """Run the measurement alone."""
    return run_alone("questions", measure, (__doc__ or "").split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
