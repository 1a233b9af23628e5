"""`sources`: the documents of the digest, or of one meeting."""

from __future__ import annotations

from bot.knowledge.digest import Digest
from bot.knowledge.model import Document, Meeting
from bot.queries.collect import cited_documents, meeting_citations


def documents_of(digest: Digest, meeting: Meeting | None) -> list[Document]:
    """Every document, or those that report on `meeting` (declared or cited), in index order."""
    if meeting is None:
        return list(digest.documents)
    cited = {d.id for d in cited_documents(digest, meeting_citations(meeting))}
    return [d for d in digest.documents if meeting.id in d.meetings or d.id in cited]
