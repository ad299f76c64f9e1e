"""Counting capitals cheaply: shouting and the text model's shapes both ask."""

# Latin-1 covers English and German letters (Ä, Ö, Ü, ß); letters of other scripts are not
# counted, which only makes the ratio more lenient.
_UPPER = bytes(c for c in range(256) if chr(c).isupper())
_LOWER = bytes(c for c in range(256) if chr(c).islower())
_NOT_UPPER = bytes(c for c in range(256) if c not in _UPPER)
_NOT_LOWER = bytes(c for c in range(256) if c not in _LOWER)


def caps_ratio(text: str) -> tuple[float, int]:
    """Share of capitals among cased letters, and how many cased letters there are."""
    latin = text.encode("latin-1", "ignore")
    upper = len(latin.translate(None, _NOT_UPPER))
    letters = upper + len(latin.translate(None, _NOT_LOWER))
    return (upper / letters if letters else 0.0), letters
