"""HTML from a peer's export as the plain text a reader saw: paragraphs and line breaks kept,
links as their text (and address, when that differs), entities decoded, other markup dropped."""

from __future__ import annotations

import html
import re

_SPACE = re.compile(r"[ \t\r\n\f]+")
_BREAK = re.compile(r"<br\s*/?>", re.I)
# Where a paragraph (or another block) ends or begins: a blank line.
_BLOCK = re.compile(r"</(?:p|div|blockquote|li|ul|ol|pre|h[1-6])\s*>"
                    r"|<(?:p|div|blockquote|ul|ol|pre|h[1-6])(?:\s[^>]*)?>", re.I)
_LINK = re.compile(r"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>(.*?)</a\s*>""",
                   re.I | re.S)
_TAG = re.compile(r"<!--.*?-->|<[A-Za-z/!][^>]*>", re.S)
_LINE_END = re.compile(r"[ \t]*\n[ \t]*")
_BLANK_LINES = re.compile(r"\n{3,}")


def _link(match: re.Match) -> str:
    href = html.unescape(match[1] or match[2] or match[3] or "")
    label = match[4]
    label_text = html.unescape(_TAG.sub("", label)).strip()
    if href.startswith(("http://", "https://")) and href not in label_text:
        return f"{label} ({href.replace('<', '&lt;')})" if label_text else href
    return label


def _folded_spaces(markup: str) -> str:
    """Whitespace runs as one space; the regex (a match per word) only where one would change."""
    if "  " in markup or "\n" in markup or "\t" in markup or "\r" in markup or "\f" in markup:
        return _SPACE.sub(" ", markup)
    return markup


def html_to_text(markup: str, *, newlines_are_breaks: bool = False) -> str:
    """`newlines_are_breaks`: the source shows a newline as a line break (WordPress stores text
    that way); in real HTML a newline is only a space."""
    if "<" not in markup and "&" not in markup:
        text = markup if newlines_are_breaks else _folded_spaces(markup)
        return text.strip()
    if not newlines_are_breaks:
        markup = _folded_spaces(markup)
        paragraph = markup.strip()
        # Most comments are one paragraph and nothing else: the general path would change nothing.
        if (paragraph.startswith("<p>") and paragraph.endswith("</p>")
                and paragraph.count("<") == 2 and "&" not in paragraph and "\xa0" not in paragraph):
            return paragraph[3:-4].strip()
    lowered = markup.lower()  # each pass only where its markup occurs
    if "<a" in lowered:
        markup = _LINK.sub(_link, markup)
    if "<br" in lowered:
        markup = _BREAK.sub("\n", markup)
    markup = _BLOCK.sub("\n\n", markup)
    text = _TAG.sub("", markup)
    if "&" in text:
        text = html.unescape(text)
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    if "\n" in text:
        text = _BLANK_LINES.sub("\n\n", _LINE_END.sub("\n", text))
    return text.strip()
