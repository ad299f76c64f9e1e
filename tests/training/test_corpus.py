"""The labelled corpus: texts keep their split, and the held-out writers' texts are never learned."""

from training.corpus import HOLDOUT, Example, load, split_of


def test_a_text_keeps_its_split_whatever_its_numbers_and_links():
    assert split_of("Win £1000 now, call 0800 505060") == split_of("Win £5 now, call 0900 111222")
    assert split_of("see https://a.example/x") == split_of("see https://b.example/y")


def test_held_out_texts_have_a_split_of_their_own():
    text = "Great match yesterday, well played."
    assert Example("holdout", "clean", text, held_out=True).split == HOLDOUT
    assert Example("written", "clean", text).split in ("train", "dev", "test")


def test_the_shipped_corpus_trains_on_no_held_out_text():
    examples = load()
    held_out = [e for e in examples if e.split == HOLDOUT]
    sources = {e.source for e in held_out}
    assert {"holdout", "holdout2"} <= sources and all(s.startswith(HOLDOUT) for s in sources)
    assert not any(e.source.startswith(HOLDOUT) for e in examples if e.split != HOLDOUT)
    assert {e.label for e in held_out} == {"spam", "abuse", "clean"}
