"""The instruments that come with the software: JSON files in ``instruments/``, one per version,
read and checked once per process and available to every programme."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from pydantic import ValidationError

from eportfolio.domain.measurements import InstrumentDefinition

INSTRUMENTS = files("eportfolio.measurements") / "instruments"


class ShippedInstrumentError(ValueError):
    """A shipped definition is malformed, or two of them claim the same key and version: a mistake
    in a release, so the process refuses to use any of them rather than guess."""


def read_definition(source: Traversable) -> InstrumentDefinition:
    try:
        return InstrumentDefinition.model_validate_json(source.read_bytes())
    except ValidationError as exc:
        raise ShippedInstrumentError(f"{source.name}: {exc}") from exc


def by_version(
    definitions: Iterable[tuple[str, InstrumentDefinition]],
) -> dict[tuple[str, int], InstrumentDefinition]:
    """Index definitions by (key, version), refusing a second definition of the same version."""
    found: dict[tuple[str, int], InstrumentDefinition] = {}
    origins: dict[tuple[str, int], str] = {}
    for origin, definition in definitions:
        index = (definition.key, definition.version)
        if index in found:
            raise ShippedInstrumentError(
                f"{origin}: version {definition.version} of {definition.key!r} is defined in {origins[index]} already"
            )
        found[index] = definition
        origins[index] = origin
    return found


def load_shipped(directory: Traversable = INSTRUMENTS) -> dict[tuple[str, int], InstrumentDefinition]:
    """Every shipped definition by (key, version), in the order of their file names."""
    sources = sorted((entry for entry in directory.iterdir() if entry.name.endswith(".json")), key=lambda e: e.name)
    return by_version((source.name, read_definition(source)) for source in sources)


@lru_cache(maxsize=1)
def shipped() -> dict[tuple[str, int], InstrumentDefinition]:
    """The shipped definitions, read at first use (the files do not change while a process runs)."""
    return load_shipped()
