"""The digest's files as a curator's work in progress: read as plain YAML, so that the
workbench works on a digest that does not validate yet (an index entry with TODO fields)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.curation.files import Refusal
from bot.curation.guesses import ActorNames

ACTORS = "actors.yaml"
MEETINGS = "meetings.yaml"
DRAFTS = "drafts"


def read_yaml(path: Path, what: str) -> Any:
    """A YAML file's data; refuse, in one line, one that cannot be read."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Refusal(f"{what} cannot be read ({exc.__class__.__name__})") from None


def actors_of(directory: Path) -> list[dict[str, Any]]:
    """actors.yaml's actors (none when it is absent)."""
    data = read_yaml(directory / ACTORS, ACTORS)
    actors = data.get("actors") if isinstance(data, dict) else None
    return [a for a in actors or [] if isinstance(a, dict) and isinstance(a.get("id"), str)]


def actor_names(actors: list[dict[str, Any]]) -> ActorNames:
    """The aliases of actors.yaml, for naming actors in sentences."""
    return ActorNames(
        (a["id"], str(a.get("name", a["id"])), [str(x) for x in a.get("aliases") or []])
        for a in actors
    )


def meetings_of(directory: Path) -> list[dict[str, Any]]:
    """meetings.yaml's meetings (none when it is absent)."""
    data = read_yaml(directory / MEETINGS, MEETINGS)
    meetings = data.get("meetings") if isinstance(data, dict) else None
    return [m for m in meetings or [] if isinstance(m, dict)]


def drafts_of(directory: Path) -> list[Path]:
    """The draft files, by name."""
    return sorted((directory / DRAFTS).glob("*.yaml"))


def drafted_meetings(directory: Path, but: Path | None = None) -> dict[str, Path]:
    """Meeting id -> the draft that carries its `new_meeting:` header."""
    found: dict[str, Path] = {}
    for path in drafts_of(directory):
        data = read_yaml(path, f"{DRAFTS}/{path.name}")
        if path != but and isinstance(data, dict) and isinstance(data.get("new_meeting"), dict):
            found.setdefault(str(data.get("meeting")), path)
    return found
