"""Reading a verifier's reply: APPROVE, or a checklist of visible differences."""

from __future__ import annotations

import re

ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*\S)\s*$")


def parse_verdict(text: str, max_items: int) -> list[str] | None:
    """[] for approve, the checklist items, or None when the reply is neither."""
    items = [m.group(1) for m in (ITEM.match(line) for line in text.splitlines()) if m]
    if items:
        return [item[:300] for item in items[:max_items]]
    if re.search(r"\bAPPROVE\b", text.upper()):
        return []
    return None
