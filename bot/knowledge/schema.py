"""Validation of the digest's files against model.py's own classes (pydantic builds them):
what validation.py and the drafts' check call. Imports pydantic: only for files being read."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar, cast

from pydantic import TypeAdapter

from bot.knowledge import model
from bot.knowledge.model import ActorIndex, MeetingIndex, SourceIndex
from bot.knowledge.rules import ACTORS_FILE, MEETINGS_FILE, SOURCES_INDEX

__all__ = [
    "ACTORS_FILE",
    "MEETINGS_FILE",
    "SOURCES_INDEX",
    "ActorIndex",
    "MeetingIndex",
    "SourceIndex",
    "validate",
    "validate_as",
]

T = TypeVar("T")


# One adapter a class, built on first use (building one compiles its whole schema); unbounded:
# one entry for each of the schema's few classes.
@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def validate(kind: type[T], data: Any, context: Mapping[str, Any]) -> T:
    """`data` (parsed YAML) as a `kind` of model.py, or pydantic's ValidationError listing
    every problem with its location."""
    # A class is hashable; typeshed does not say so of type[T].
    found: T = _adapter(cast(Hashable, kind)).validate_python(data, context=dict(context))
    return found


def validate_as(name: str, data: Any, context: Mapping[str, Any]) -> Any:
    """`data` validated as the model.py class called `name` (a draft's items)."""
    return validate(getattr(model, name), data, context)
