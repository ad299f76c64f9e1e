"""The features the shipped text models read: one function for training and for judging.

Words come from `normalize` (case, accents, look-alikes, leetspeak and spaced letters undone), so
"V.I.A.G.R.A" and "viagra" are one feature. On top of words, word pairs and three-word runs, the
4-letter pieces of long words carry what a word list cannot: German compounds ("Drecksvolk",
"Volksverräter") and new spellings. Links are left out of the words: only what kind of link it
is (a reference or another) is a feature, and the links rule weighs the rest. Shapes say what
spam shares whatever its words: a phone number, a price, an e-mail address, a messenger, hidden
dots, capitals.
"""

from __future__ import annotations

import functools
import re

from moderation.classifiers.lexicon import addresses_someone, lexicon_features
from moderation.text.letters import caps_ratio
from moderation.text.links import find_links, is_reference
from moderation.text.memo import remember_last_text
from moderation.text.normalize import fold, normalize

MAX_WORD = 30
# Words at least this long also give their 4-letter pieces.
PIECES_FROM = 4
MAX_FEATURES = 1000  # shapes come first, then words in order: a long comment keeps its start
CACHED_WORD = 16
LEXICON = True

_DIGIT = re.compile(r"\d")
_PHONE = re.compile(r"(?:\+|\b)\d[\d ().\-]{6,}\d")
_PRICE = re.compile(r"[$€£¥]\s?\d|\d\s?(?:[$€£¥]|eur\b|euro\b|usd\b|dollars?\b|k\b)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+\.[a-z]{2,}")
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w\-]+\.(?:com|net|org|info|biz|xyz|top|click|"
                   r"site|online|shop|store|io|me|ly|gl|co|ru|de|uk|us|tk|ml|ga|cf|gq)\b")
_HIDDEN_DOT = re.compile(r"[\[({]\s*(?:\.|dot|punkt)\s*[\])}]|\s(?:dot|punkt)\s")
# Words in quotation marks: what is quoted is often discussed, not said.
_QUOTED = re.compile(r"\"[^\"]{3,}\"|(?:^|\s)'[^']{3,}'(?=[\s.,!?;:]|$)")
_MESSENGER = re.compile(r"\b(?:whats\s?app|telegram|signal|viber|wechat|kik|snapchat|insta(?:gram)?|"
                        r"tiktok|dm|pm|inbox)\b")


def shapes(text: str) -> list[str]:
    """Shape features of the folded text, each once."""
    folded = fold(text)
    found = []
    # Each pattern needs a character that most comments lack; looking for it first is cheaper.
    if _DIGIT.search(folded):
        if _PHONE.search(folded):
            found.append("shape:phone")
        if _PRICE.search(folded):
            found.append("shape:price")
    if "@" in folded and _EMAIL.search(folded):
        found.append("shape:email")
    hosts = [host for _, host in find_links(text)] if "." in text else []
    if hosts:
        # What kind of link, not where: the words of a link are left out of the text.
        kinds = {"link:reference" if is_reference(h) else "link:other" for h in hosts[:5]}
        found += sorted(kinds)
        if len(hosts) > 1:
            found.append("link:several")
    if _HIDDEN_DOT.search(folded):
        found.append("shape:hidden_dot")
    if _MESSENGER.search(folded):
        found.append("shape:messenger")
    ratio, letters = caps_ratio(text)
    if letters >= 12 and ratio > 0.7:
        found.append("shape:capitals")
    if "!!!" in text:
        found.append("shape:exclaims")
    if ('"' in folded or "'" in folded) and _QUOTED.search(folded):
        found.append("shape:quoted")
    return found


def without_links(text: str) -> str:
    """The text with its links left out: what a link says (a shortener, a reference, a cheap
    top-level domain) is the links rule's to weigh, and a model that learned "www" from spam
    would hold every reader who cites a source."""
    if "." not in text or not _LINK.search(fold(text)):
        return text  # the same object: normalize() remembers it for the other rules
    return _LINK.sub(" ", fold(text))


def _word_features(word: str) -> tuple[str, ...]:
    """A word's own features: the word, and its 4-letter pieces when it is long. Words of
    ordinary length repeat from comment to comment and are remembered; junk is not."""
    return _cached_word_features(word) if len(word) <= CACHED_WORD else _pieces(word)


@functools.lru_cache(maxsize=20_000)  # at most ~20k × (16 letters, 14 pieces): a few MB
def _cached_word_features(word: str) -> tuple[str, ...]:
    return _pieces(word)


def _pieces(word: str) -> tuple[str, ...]:
    if len(word) < PIECES_FROM:
        return (f"w:{word}",)
    bounded = f"<{word}>"
    return (f"w:{word}", *(f"p:{bounded[i:i + 4]}" for i in range(len(bounded) - 3)))


def _features(text: str) -> list[str]:
    """Distinct features of a text, in a stable order: shapes, word families, then per word its
    pieces, the pair and the three words it starts ("where you live" says what none of its words
    does). At most MAX_FEATURES distinct ones: text repeated to fill the budget does not hide
    what follows it."""
    linkless = without_links(text)
    words = [w if not w.isdigit() else f"#{min(len(w), 9)}"
             for w in normalize(linkless, remember=linkless is text).split() if len(w) <= MAX_WORD]
    found = dict.fromkeys(shapes(text))
    if LEXICON:
        found.update(dict.fromkeys(lexicon_features(words, addresses_someone(text, words))))
    for first, second, third in zip(words, [*words[1:], None], [*words[2:], None, None]):
        found.update(dict.fromkeys(_word_features(first)))
        if second is not None:
            found[f"b:{first} {second}"] = None
            if third is not None:
                found[f"t:{first} {second} {third}"] = None
        if len(found) >= MAX_FEATURES:
            break
    return list(found)[:MAX_FEATURES]


# Scoring a comment and explaining its score both ask for its features.
features = remember_last_text(_features)


def words_of_feature(feature: str) -> list[str]:
    """The normalized words a feature stands for (for explanations): none for a shape."""
    kind, _, value = feature.partition(":")
    if kind in ("w", "b", "t"):
        return [w for w in value.split() if not w.startswith("#")]
    return []
