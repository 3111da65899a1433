"""Search terms for the knowledge base: pure, no ORM.

Korean has no reliable word boundaries for a tokenizer (조사 attach to nouns: 프린터가, 프린터를),
so matching is by substring on both engines: every term must occur in the title or the body.
"""

from __future__ import annotations

import re

MAX_TERMS = 8
MIN_TERM = 2  # one character matches almost everything (and "a", "이" are noise)
_SPLIT = re.compile(r"[\s,.;:!?()\[\]{}\"'`/\\|<>*+=~^&%$#@-]+")


def terms(query: str | None) -> list[str]:
    """Distinct search terms of a query, longest first, at most MAX_TERMS."""
    words = {w for w in _SPLIT.split((query or "").strip().lower()) if len(w) >= MIN_TERM}
    return sorted(words, key=lambda w: (-len(w), w))[:MAX_TERMS]
