"""Small text-level XML helpers: the writer edits parts as text, never re-serialises them.

Re-serialising a part through ElementTree would rename namespace prefixes (ns0:),
drop `mc:Ignorable` declarations Excel relies on, and reorder attributes; editing
the few tags that change, as text, keeps everything else exactly as the author
(Excel, LibreOffice, another tool) wrote it.
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import escape

_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")


def escape_text(text: str) -> str:
    """Escape element content (`&`, `<`, `>`)."""
    return escape(text)


def escape_attr(text: str) -> str:
    """Escape an attribute value written between double quotes."""
    return escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def unescape_attr(text: str) -> str:
    """Decode the predefined entities and character references of an attribute value.

    One pass, as an XML parser does: what a reference decodes to is never decoded
    again, so `&#38;lt;` is `&lt;` and `&amp;lt;` is `&lt;`, not `<`. A reference
    to no character (past U+10FFFF) is kept as written.
    """
    return _REFERENCE.sub(_decode_reference, text)


def _decode_reference(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    if name is not None:
        return _ENTITIES[name]
    digits = (hexadecimal or decimal).lstrip("0") or "0"
    if len(digits) > 8:  # past U+10FFFF whatever the base (and int() limits long strings)
        return match.group(0)
    code = int(digits, 16) if hexadecimal is not None else int(digits)
    return chr(code) if code <= 0x10FFFF else match.group(0)


def root_prefix(xml: str, local: str) -> str:
    """The namespace prefix of the root element `local`, with its colon ("" when default)."""
    match = re.search(rf"<(\w+:)?{local}[\s>/]", xml)
    return (match.group(1) or "") if match else ""


@functools.lru_cache(maxsize=256)
def _attr_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<=\s){re.escape(name)}\s*=\s*(\"[^\"]*\"|'[^']*')")


def get_attr(tag: str, name: str) -> str | None:
    """The decoded value of attribute `name` in a start tag, or None."""
    match = _attr_pattern(name).search(tag)
    if match is None:
        return None
    value = match.group(1)[1:-1]
    return unescape_attr(value) if "&" in value else value


def set_attr(tag: str, name: str, value: str) -> str:
    """The start tag with attribute `name` set to `value` (added before the end if absent)."""
    pattern = _attr_pattern(name)
    quoted = f'"{escape_attr(value)}"'
    if pattern.search(tag):
        return pattern.sub(lambda _m: f"{name}={quoted}", tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f"{tag[:end].rstrip()} {name}={quoted}{tag[end:]}"


def remove_attr(tag: str, name: str) -> str:
    """The start tag without attribute `name`."""
    return re.sub(rf"\s+{re.escape(name)}\s*=\s*(\"[^\"]*\"|'[^']*')", "", tag, count=1)


def find_element(xml: str, local: str, prefix: str = "", start: int = 0) -> tuple[int, int] | None:
    """Span of the first `<prefix:local ...>...</prefix:local>` (or self-closed) element."""
    match = re.compile(rf"<{prefix}{local}(?=[\s>/])[^>]*>").search(xml, start)
    if match is None:
        return None
    if match.group(0).endswith("/>"):
        return match.start(), match.end()
    close = xml.find(f"</{prefix}{local}>", match.end())
    if close < 0:
        return None
    return match.start(), close + len(f"</{prefix}{local}>")


def start_tag_at(xml: str, index: int) -> str:
    """The start tag beginning at `index`."""
    return xml[index : xml.index(">", index) + 1]
