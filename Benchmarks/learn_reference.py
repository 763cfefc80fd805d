"""scikit-learn side of the EarshotLearn benchmark: 10-fold TF-IDF (1-2 grams) + logistic regression.

Usage (from the repository root):
    bash scripts/bench-env.sh && .bench-venv/bin/python Benchmarks/learn_reference.py --tsv /tmp/learn_bench.tsv [--documents 5000]
        [--seed 13] [--folds-out /tmp/learn_bench_folds.txt] [--repeats 3]

The TSV (one "label<TAB>text" line per document, label 1 = member, 0 = non-member) is read when it exists and
written first when it does not, so the Swift side reads exactly the same documents. Documents come from a
seeded generator: 300 pseudo-words, Zipf-like word frequencies, and a class-1 distribution that reweights the
class-0 one by exp(N(0, 0.35)) per word (a mild shift, AUC well below 1). Folds: StratifiedKFold(10,
shuffle=True, random_state=0); with --folds-out their ids (one per line) are written for the Swift side.
Timed: the whole cross-validation (per fold: TfidfVectorizer(ngram_range=(1, 2)) fitted on the training part,
LogisticRegression(C=1.0) with default lbfgs settings, predict_proba on the test part), best of --repeats.
Prints one JSON line: {"tool", "documents", "folds", "seconds", "auc", ...}.
"""
import argparse
import json
import os
import time

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "ba", "do", "fu", "gi", "ho", "ja", "pe"]


def vocabulary(rng, size=300):
    words = set()
    while len(words) < size:
        k = rng.integers(1, 4)
        words.add("".join(rng.choice(SYLLABLES, size=k)))
    return sorted(words)


def generate(n, seed):
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(rng))
    ranks = np.arange(1, len(words) + 1)
    base = 1.0 / ranks ** 1.1
    base /= base.sum()
    shifted = base * np.exp(rng.normal(0.0, 0.35, len(words)))
    shifted /= shifted.sum()
    rows = []
    for i in range(n):
        label = i % 2
        length = int(rng.integers(8, 31))
        text = " ".join(rng.choice(words, size=length, p=shifted if label else base))
        rows.append((label, text))
    order = rng.permutation(n)
    return [rows[i] for i in order]


def read_tsv(path):
    labels, docs = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            labels.append(int(label))
            docs.append(text)
    return docs, np.array(labels)


def cross_validate(docs, labels, folds):
    oof = np.zeros(len(docs))
    for k in range(folds.max() + 1):
        train = np.where(folds != k)[0]
        test = np.where(folds == k)[0]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2))
        x_train = vectorizer.fit_transform([docs[i] for i in train])
        model = LogisticRegression(C=1.0).fit(x_train, labels[train])
        oof[test] = model.predict_proba(vectorizer.transform([docs[i] for i in test]))[:, 1]
    return oof


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tsv", required=True)
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--folds-out")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(args.tsv):
        with open(args.tsv, "w", encoding="utf-8") as f:
            for label, text in generate(args.documents, args.seed):
                f.write(f"{label}\t{text}\n")
    docs, labels = read_tsv(args.tsv)
    folds = np.zeros(len(docs), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(10, shuffle=True, random_state=0).split(docs, labels)):
        folds[test] = k
    if args.folds_out:
        with open(args.folds_out, "w") as f:
            f.write("\n".join(str(k) for k in folds) + "\n")
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        oof = cross_validate(docs, labels, folds)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"tool": "scikit-learn", "version": sklearn.__version__, "documents": len(docs),
                      "folds": int(folds.max() + 1), "seconds": round(best, 4),
                      "auc": float(roc_auc_score(labels, oof))}))


if __name__ == "__main__":
    main()
