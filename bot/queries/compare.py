"""`compare`: what each account of a meeting says on a topic, side by side, and what each
leaves out that another reports.

A negative is a claim too: a document is said to leave a term out, or to say nothing on a
topic, only when its whole stored text (and any word-for-word copy of it) has no form of the
words checked (stems, hyphen variants); the reply names the words it checked, and says "the
stored part" of a partial copy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Document, Meeting
from bot.knowledge.stems import StemmedText
from bot.queries.collect import grouped
from bot.queries.documents import documents_of
from bot.search.words import STOPWORDS, terms_of, words_of

TOPICS_SHOWN = 12
LEFT_OUT_SHOWN = 8


@dataclass(frozen=True)
class Account:
    """One account of a meeting: a document, with the documents that copy it word for word."""

    document: Document
    copies: list[Document] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """Only part of the original is stored (for every document of the account)."""
        return all(d.partial for d in (self.document, *self.copies))


@dataclass(frozen=True)
class Side:
    """One account's claims on a topic."""

    account: Account
    claims: list[Claim]
    # Terms the other accounts' claims on the topic name that this account's text never does.
    leaves_out: list[str]

    @property
    def document(self) -> Document:
        """The account's document."""
        return self.account.document


@dataclass(frozen=True)
class Unfiled:
    """An account with no claim on a topic whose text still uses some of the topic's words."""

    account: Account
    words: list[str]


@dataclass(frozen=True)
class TopicComparison:
    """A topic as each account of the meeting reports it."""

    topic: str
    sides: list[Side]
    silent: list[Account]  # no claim on the topic, and none of `checked` in the text
    unfiled: list[Unfiled]  # no claim on the topic, though the text uses some of its words
    checked: list[str]  # the topic's words a silent account's text was searched for


@dataclass(frozen=True)
class Comparison:
    """What `compare [topic]` shows for one meeting."""

    meeting: Meeting
    query: str | None
    accounts: list[Account]
    topics: list[TopicComparison]
    more: list[str] = field(default_factory=list)  # topics not shown, by name

    @property
    def documents(self) -> list[Document]:
        """Every document reporting on the meeting, copies included."""
        return [d for a in self.accounts for d in (a.document, *a.copies)]


def compare(digest: Digest, meeting: Meeting, query: str | None) -> Comparison:
    """The meeting's claims by topic and account (topics matching `query` only)."""
    claims = [c for c in digest.claims if c.meeting.id == meeting.id]
    accounts = _accounts(digest, meeting, claims)
    root = {d.id: a.document.id for a in accounts for d in (a.document, *a.copies)}
    if query:
        topics_hit = {c.topic for c in claims if _matches(digest, c, query)}
        claims = [c for c in claims if c.topic in topics_hit]
    texts = _account_texts(digest, accounts)
    names = {a.id: a.name for a in digest.actors}
    topics = [
        _topic(topic, items, accounts, root, texts, names)
        for topic, items in grouped(claims, lambda c: c.topic).items()
    ]
    # Where the accounts differ comes first: topics reported by one account only, last.
    topics.sort(key=lambda t: -len(t.sides))
    return Comparison(
        meeting, query, accounts, topics[:TOPICS_SHOWN], [t.topic for t in topics[TOPICS_SHOWN:]]
    )


def _accounts(digest: Digest, meeting: Meeting, claims: list[Claim]) -> list[Account]:
    """The meeting's accounts: each document reporting on it, its word-for-word copies folded
    into the original (or into the first copy published, while the original is not)."""
    documents = documents_of(digest, meeting)
    present = {d.id for d in documents}
    accounts: dict[str, Account] = {}
    for doc in documents:
        original = doc.copy_of if doc.copy_of in present else None
        key = original or doc.id
        account = accounts.get(key)
        if account is None:
            accounts[key] = Account(doc)
        else:
            account.copies.append(doc)
    return list(accounts.values())


def _account_texts(digest: Digest, accounts: list[Account]) -> dict[str, StemmedText]:
    """Each account's stored text (its copies' too), stemmed once per digest."""
    stemmed: dict[str, StemmedText] = digest.memoized("compare_texts", dict)
    found: dict[str, StemmedText] = {}
    for account in accounts:
        stems: frozenset[str] = frozenset()
        for doc in (account.document, *account.copies):
            if doc.id not in stemmed:
                stemmed[doc.id] = StemmedText.of(digest.texts.get(doc.id, ""))
            stems |= stemmed[doc.id].stems
        found[account.document.id] = StemmedText(stems)
    return found


def _matches(digest: Digest, claim: Claim, query: str) -> bool:
    """A claim matches a query by an actor it names (any alias) or by any of its words, in
    any form, in the claim's topic, summary or keywords ("covid" finds "COVID-19")."""
    terms = terms_of(query, digest.aliases)
    if set(terms.actors) & {claim.actor, *claim.mentions}:
        return True
    text = _claim_text(digest, claim)
    return any(text.mentions(word) for word in terms.words)


def _claim_text(digest: Digest, claim: Claim) -> StemmedText:
    stemmed: dict[tuple[str, str], StemmedText] = digest.memoized("compare_claims", dict)
    key = (claim.id, claim.document.id)
    if key not in stemmed:
        stemmed[key] = StemmedText.of(" ".join([claim.topic, claim.summary, *claim.keywords]))
    return stemmed[key]


def _topic(
    topic: str,
    claims: list[Claim],
    accounts: list[Account],
    root: Mapping[str, str],
    texts: Mapping[str, StemmedText],
    names: dict[str, str],
) -> TopicComparison:
    by_account = grouped(claims, lambda c: root.get(c.document.id, c.document.id))
    terms = {key: _labels(items, names) for key, items in by_account.items()}
    sides = []
    for account in accounts:
        key = account.document.id
        if key not in by_account:
            continue
        others = set().union(*(t for k, t in terms.items() if k != key))
        said = StemmedText.of(" ".join(c.summary for c in by_account[key]))
        missing = [
            t
            for t in sorted(others - terms[key])
            if not said.mentions(t) and not texts[key].mentions(t)
        ]
        sides.append(Side(account, by_account[key], missing))
    words = _topic_words(topic, claims)
    # Words every account uses ("meeting", "defence") cannot tell a silent one from another.
    telling = [w for w in words if not all(texts[a.document.id].mentions(w) for a in accounts)]
    silent: list[Account] = []
    unfiled: list[Unfiled] = []
    for account in accounts:
        if account.document.id in by_account:
            continue
        used = [w for w in telling if texts[account.document.id].mentions(w)]
        if used:
            unfiled.append(Unfiled(account, used))
        elif telling:
            silent.append(account)
    return TopicComparison(topic, sides, silent, unfiled, telling)


def _topic_words(topic: str, claims: list[Claim]) -> list[str]:
    """What a topic is about: its name's content words and its claims' keywords."""
    words = [w for w in words_of(topic) if w not in STOPWORDS and not w.isdigit()]
    words += [k.casefold() for c in claims for k in c.keywords]
    return list(dict.fromkeys(words))


def _labels(claims: list[Claim], names: dict[str, str]) -> set[str]:
    """What an account's claims name: actors concerned and the curators' keywords."""
    found: set[str] = set()
    for claim in claims:
        found.update(names.get(a, a) for a in claim.mentions)
        found.update(k.casefold() for k in claim.keywords)
    return found
