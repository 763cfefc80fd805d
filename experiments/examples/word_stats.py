"""Tiny deterministic programs for experiments/examples/command-pipeline.yaml (standard library only)."""
import json
import sys
from collections import Counter


def main(argv):
    verb = argv[1]
    if verb == "make":
        words = ["voice", "text", "binding", "member", "audit", "shift", "model", "speech"]
        lines = [" ".join(words[(i * j + 3) % len(words)] for j in range(1, 8)) for i in range(1, 200)]
        open(argv[2], "w").write("\n".join(lines) + "\n")
    elif verb == "count-words":
        counts = Counter(open(argv[2]).read().split())
        json.dump(dict(sorted(counts.items())), open(argv[3], "w"), indent=1)
    elif verb == "count-chars":
        counts = Counter(c for c in open(argv[2]).read() if not c.isspace())
        json.dump(dict(sorted(counts.items())), open(argv[3], "w"), indent=1)
    elif verb == "summarise":
        words, chars = json.load(open(argv[2])), json.load(open(argv[3]))
        json.dump({"distinct_words": len(words), "total_words": sum(words.values()),
                   "distinct_chars": len(chars), "total_chars": sum(chars.values())}, open(argv[4], "w"), indent=1)
    else:
        sys.exit(f"unknown verb {verb!r}")


if __name__ == "__main__":
    main(sys.argv)
