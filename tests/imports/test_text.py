"""HTML from a peer's export becomes the plain text a reader saw."""

import pytest

from moderation.imports.text import html_to_text


@pytest.mark.parametrize(("markup", "text"), [
    ("<p>Hello  world</p>\n", "Hello world"),
    (" <p> spaced out </p> ", "spaced out"),
    ("<p>one\nline</p>", "one line"),
    ("<p>Grüße – “zitiert”</p>", "Grüße – “zitiert”"),
    ("<p>Tom &amp; Jerry</p>", "Tom & Jerry"),
    ("<p>non\xa0breaking</p>", "non breaking"),
    ("<p>first</p><p>second</p>", "first\n\nsecond"),
    ("<p>see <a href=\"https://example.org/x\">this</a></p>", "see this (https://example.org/x)"),
    ("<p>a<br>b</p>", "a\nb"),
    ("plain, no markup", "plain, no markup"),
])
def test_markup_becomes_the_text_a_reader_saw(markup, text):
    assert html_to_text(markup) == text


def test_a_source_whose_newlines_are_breaks_keeps_them():
    assert html_to_text("<p>line one\nline two</p>", newlines_are_breaks=True) == (
        "line one\nline two")
