"""How the rules do on text by writers the model never read: `python -m training.crosscheck`.

The test split says how the model does on unseen texts of the sources it learned from; the
product is judged on text nobody here wrote. This is the nearest measure we have: the model is
trained again on the train split of every source but one (`--source`, by default each batch of
hand-written comments in turn), and the rules with their default thresholds judge every text of
the left-out source, all splits, as a fresh site would. Nothing is written to the shipped model.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from rules_quality import run, site_view, table

from moderation.classifiers import linear
from training.corpus import load
from training.train import train

HAND_WRITTEN = ("written", "written3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", help="source to leave out (repeatable)")
    parser.add_argument("--c", type=float, default=None, help="as training.train (default: the "
                        "shipped model's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    examples = load()
    c = args.c or float(linear.load_model().about.get("c", 32.0))
    for source in args.source or HAND_WRITTEN:
        held_out = [e for e in examples if e.source == source]
        if not held_out:
            print(f"no source {source!r}")
            continue
        learned = [e for e in examples if e.split == "train" and e.source != source]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.json.gz"
            with gzip.open(path, "wt", encoding="utf-8") as file:
                json.dump(train(learned, c, 2), file)
            shipped = linear.MODEL_FILE
            linear.MODEL_FILE = path
            linear.load_model.cache_clear()
            try:
                print(f"\n== {source}: {len(held_out)} texts the model never read "
                      f"(trained on {len(learned)} others), fresh site")
                table(run(held_out, site_view(), None), args.verbose)
            finally:
                linear.MODEL_FILE = shipped
                linear.load_model.cache_clear()


if __name__ == "__main__":
    main()
