"""Text normalization shared by the text rules: the forms in which evasions look like the real word.

Two levels:

- `fold(text)`: the same text, made comparable. Compatibility forms (NFKD: fullwidth, math and
  circled letters, ligatures) are resolved, accents stripped, case folded (German ß → ss),
  zero-width, bidi and control characters removed, and Cyrillic/Greek letters that look like Latin
  ones replaced by those (so "раypal.com" with a Cyrillic "р" and "а" is "paypal.com").
  Punctuation is kept: the links rule reads domains from it.
- `word_forms(text)`: the folded text as words for whole-word matching, each form written
  " word word word " (one space between words and at both ends). On top of folding, runs of at
  least three single letters with one consistent separator are joined ("f.u.c.k", "s p a m",
  "v-i-a-g-r-a"), leetspeak is read inside words that also hold a letter ("sh1t", "@ss", "a$$",
  but never "2024" or the "5" of "5 stars"), and runs of three or more equal letters are
  collapsed: to two in the first form ("asssss" → "ass") and, when there was such a run, to one
  in a second form ("spaaaam" → "spam").

Every table is built once at import. The words of the last text are remembered (keyed by the
text object itself), so the rules that judge one comment one after the other — banned_words,
suspect_words, toxicity — normalize it once (bench/rules_speed.py --micro measures it).
"""

from __future__ import annotations

import re
import unicodedata

from moderation.text.memo import remember_last_text

# Letters of other scripts (and Latin letters NFKD does not decompose) that pass for Latin ones.
# Only look-alikes: this is for matching, so a Russian word turning into Latin garbage is harmless.
_CONFUSABLES = {
    # Cyrillic, both cases (upper case first, then folded with the rest)
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "З": "3", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J",
    "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Һ": "H", "Ӏ": "I", "Ь": "b", "Ѵ": "V",
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ӏ": "l", "ь": "b", "ѵ": "v", "г": "r",
    "и": "u", "д": "d", "з": "3",
    # Greek, both cases
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s", "ϲ": "c", "ϳ": "j", "μ": "u",
    # Armenian letters that pass for Latin ones ("Fսck")
    "ս": "u", "օ": "o", "ո": "n", "հ": "h", "ց": "g", "զ": "q", "Տ": "S", "Օ": "O",
    # Latin letters with a stroke or other forms that NFKD leaves alone
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i",
    "ŧ": "t", "Ŧ": "T", "ƀ": "b", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʀ": "r", "ʏ": "y",
    "ƒ": "f", "ȷ": "j", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th",
    "ð": "d", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ᴢ": "z",
    # Punctuation that NFKD keeps: dots that hide a domain, typographic quotes and dashes
    "。": ".", "｡": ".", "․": ".", "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"',
    "„": '"', "‟": '"', "«": '"', "»": '"', "‹": "'", "›": "'", "‐": "-", "‑": "-", "‒": "-",
    "–": "-", "—": "-", "―": "-", "−": "-",
}

# Read as letters only inside a word that also holds a letter.
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                             "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})
_ACCENTS = range(0x0300, 0x0370)  # the combining diacritics that NFKD splits off Latin letters


def _build_table() -> dict[int, str | None]:
    """Drops combining marks and invisible characters; maps confusables and odd spaces."""
    table: dict[int, str | None] = {}
    # Plane 0 holds every combining mark, format and control character that comments carry;
    # tag characters (U+E0000..E007F) can also hide text, so they go too.
    for cp in (*range(0x10000), *range(0xE0000, 0xE0080)):
        category = unicodedata.category(chr(cp))
        if category in ("Mn", "Me", "Cf", "Cc", "Cs", "Co"):
            table[cp] = None
        elif category in ("Zs", "Zl", "Zp"):
            table[cp] = " "
    for keep in "\t\n\r ":
        del table[ord(keep)]
    # Hangul fillers render as nothing.
    table.update({cp: None for cp in (0x115F, 0x1160, 0x3164, 0xFFA0)})
    table.update({ord(src): dst for src, dst in _CONFUSABLES.items()})
    return table


def _charset(codepoints: list[int]) -> str:
    """A regex character class of the code points, written as ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
             for lo, hi in ranges)
    return "[" + "".join(parts) + "]"


_TABLE = _build_table()
# Most text needs none of the table once its accents are off; finding that out is cheap.
# ß is left to casefold (→ ss), German text is common.
_NEEDS_TABLE = re.compile(_charset([cp for cp in _TABLE if cp not in _ACCENTS and cp != 0xDF]))
_ACCENT_MARKS = re.compile("[\u0300-\u036f]+")
_ASCII_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_ASCII_CONTROLS = bytes(c for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n\r")

# Punctuation around words: never a letter separator ("(f.u.c.k)" must still be found).
_ENCLOSING = "\"'()[]{}<>?:;=^`\\#%&"
# Punctuation inside and between words; leet symbols (@$!|+) stay for `_read_leet`.
_PUNCTUATION = ".,-_*/~"
_ENCLOSING_BYTES = bytes.maketrans(_ENCLOSING.encode(), b" " * len(_ENCLOSING))
_PUNCTUATION_BYTES = bytes.maketrans(_PUNCTUATION.encode(), b" " * len(_PUNCTUATION))
# One letter, a separator, and the same separator between every following letter: at least
# three letters ("f.u.c.k", "s p a m", "f . u . c . k"). One consistent separator keeps
# "a U.S. citizen" apart. Searched in " " + text, so the scan jumps from space to space.
_SPACED = re.compile(
    r" ([a-z0-9@$])(\s*[.\-_*/|,+~·]\s*|\s+)(?:[a-z0-9@$]\2)+[a-z0-9@$](?![a-z0-9@$])")
# A leet symbol or digit touching a letter; starts with a character class, so it scans fast.
_LEET_HINT = re.compile(r"[0-9@$!|+](?:(?<=[^\W\d_].)|(?=[^\W\d_]))")
_ANY_REPEAT = re.compile(r"(.)\1\1")
_REPEAT = re.compile(r"([^\W\d_])\1\1+")
_LETTER = re.compile(r"[^\W\d_]")


def _fold(text: str) -> str:
    """Case, accents, compatibility forms, confusables and invisible characters folded away."""
    if text.isascii():
        return text.encode().translate(_ASCII_FOLD, _ASCII_CONTROLS).decode()
    text = unicodedata.normalize("NFKD", text)
    if _NEEDS_TABLE.search(text):
        # Confusables are mapped before case folding: Greek "Η" looks like H, its "η" like n.
        text = text.translate(_TABLE)
    else:
        text = _ACCENT_MARKS.sub("", text)
    return text.casefold()


# Several rules fold the same comment's text.
fold = remember_last_text(_fold)


def _join_spaced(match: re.Match[str]) -> str:
    letters = match.group(0)[1::len(match.group(2)) + 1]
    # "1 2 3" stays numbers; "s p 4 m" has letters enough to be a word.
    if len(_LETTER.findall(letters)) < 2:
        return match.group(0)
    if len(letters) > 3 and letters[0] in "ai":
        # "a c u n t": the article may belong to the sentence; keep both readings.
        return f" {letters} {letters[0]} {letters[1:]}"
    return " " + letters


def _read_leet(word: str) -> str:
    word = word.strip("!|+")
    if word.isalpha() or _LETTER.search(word) is None:
        return word
    return word.translate(_LEET_TABLE)


def words_of(folded: str) -> list[str]:
    """The words of folded text, spaced-out letters joined and leetspeak read."""
    # ASCII punctuation never occurs inside a UTF-8 multibyte sequence, so bytes.translate is safe.
    text = (" " + folded + " ").encode().translate(_ENCLOSING_BYTES).decode()
    # An exclamation mark ends a sentence far more often than it spells an i.
    text = _SPACED.sub(_join_spaced, text.replace("! ", " "))
    words = text.encode().translate(_PUNCTUATION_BYTES).decode().split()
    if _LEET_HINT.search(text) is None:
        return words
    return [word if word.isalpha() else _read_leet(word) for word in words if word.strip("!|+")]


class _Forms:
    """Both results for one text, each computed when first asked for."""

    __slots__ = ("text", "forms", "normalized")

    def __init__(self, text: str) -> None:
        self.text = text
        self.forms: tuple[str, ...] | None = None
        self.normalized: str | None = None


# The last text seen, with its forms. Compared by identity: the rules of one judge call get the
# same `item.body` object, and holding it here keeps the object (and its id) alive. A single
# reference swap, so a thread reading it while another replaces it sees one whole entry.
_last = _Forms("")
_last.forms, _last.normalized = ("  ",), ""


def _memo(text: str) -> _Forms:
    global _last
    last = _last
    if last.text is text:
        return last
    last = _last = _Forms(text)
    return last


def word_forms(text: str) -> tuple[str, ...]:
    """One or two forms " w w w " of the text for whole-word matching (see the module doc)."""
    memo = _memo(text)
    forms = memo.forms
    if forms is None:
        joined = " " + " ".join(words_of(fold(text))) + " "
        if _ANY_REPEAT.search(joined) is None or _REPEAT.search(joined) is None:
            forms = (joined,)
        else:
            forms = (_REPEAT.sub(r"\1\1", joined), _REPEAT.sub(r"\1", joined))
        memo.forms = forms
    return forms


def normalize(text: str, remember: bool = True) -> str:
    """The canonical form of a text: its words, evasions undone, one space apart. With
    `remember=False` (a word, a piece of a text) the comment being judged stays remembered."""
    if not remember:
        return _REPEAT.sub(r"\1\1", " ".join(words_of(_fold(text))))
    memo = _memo(text)
    normalized = memo.normalized
    if normalized is None:
        forms = memo.forms
        # The first form is the words with runs collapsed to two, between spaces.
        normalized = forms[0][1:-1] if forms is not None else _REPEAT.sub(
            r"\1\1", " ".join(words_of(fold(text))))
        memo.normalized = normalized
    return normalized
