"""Sums a py-spy raw profile (`py-spy record -f raw`, or `bench/run.py --profile DIR`) per function.

Usage: .venv/bin/python bench/profile_summary.py DIR/post.txt [--top 40]
Prints how many samples there are (py-spy samples at 100 Hz: 600 in 6 s means always running),
then the functions by self time and by inclusive time (the function and everything it calls),
each as a share of all samples.
"""

from __future__ import annotations

import argparse
import collections
import re


def summarize(path: str) -> tuple[int, collections.Counter, collections.Counter]:
    total, own, inclusive = 0, collections.Counter(), collections.Counter()
    for line in open(path, encoding="utf-8"):
        line = line.rstrip()
        if not line:
            continue
        stack, count = line.rsplit(" ", 1)
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        # One count per function per sample, whatever its line and however deep it recurses.
        for function in {re.sub(r":\d+\)$", ")", frame) for frame in frames}:
            inclusive[function] += n
    return total, own, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    total, own, inclusive = summarize(args.profile)
    print(f"{total} samples")
    print("\nself time:")
    for function, n in own.most_common(args.top // 2):
        print(f"{100 * n / total:5.1f} %  {function}")
    print("\ninclusive time:")
    for function, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f} %  {function}")


if __name__ == "__main__":
    main()
