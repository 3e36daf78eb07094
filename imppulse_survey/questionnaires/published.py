"""A published version's definition as respondents and figures see it: parsed once per process, with the
languages added to it since (language packs)."""

from __future__ import annotations

from .definition import Definition
from .packs import added_texts, packs_stamp, with_packs

_published: dict[tuple[str, int], Definition] = {}


def published_definition(version) -> Definition:
    """The definition of a published version with the languages added to it since, parsed once per process:
    a version never changes, so the cache is keyed by its content fingerprint and the stamp of its packs."""
    stamp = getattr(version, "packs_stamp", None)
    if stamp is None:
        stamp = packs_stamp(version.id)
    key = (version.content_hash, stamp)
    definition = _published.get(key)
    if definition is None:
        data = with_packs(version.definition, added_texts(version.id)) if stamp else version.definition
        definition = _published.setdefault(key, Definition(data))
    return definition
