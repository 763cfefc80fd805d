#!/usr/bin/env python3
"""Golden fixtures for EarshotScoring's TokenStatistics and MIAIndicators.

Re-run (needs numpy and jsonschema; writes the JSON files next to this script):
    bash scripts/bench-env.sh && .bench-venv/bin/python Tests/EarshotScoringTests/Fixtures/make_fixtures.py

Each indicator is computed the way its reference code computes it; the functions below transcribe:
  * VL-MIA (Li et al. 2024, LIONS-EPFL/VL-MIA) metric_util.py: `get_meta_metrics` (per-token entropy,
    clamped Renyi 0.5/2, max log-prob, gap to the next distinct log-prob, chosen log-prob, ppl) and
    `get_text_metric` (Min_K% Prob, Max_Prob_Gap, Max_K% renyi_{05,1,2,inf}, ppl/zlib). torch ops are
    transcribed to numpy float64 (the reference casts each row to float64 first).
  * zjysteven/mink-plus-plus run.py (Zhang et al. 2024): mu, sigma, `(token_log_probs - mu) / sigma.sqrt()`,
    `k_length = int(len(x) * ratio)`, mean of the lowest k_length; negated as MIMIR's min_k_plus_plus.py.
  * MIMIR mimir/attacks/zlib.py: `loss / len(zlib.compress(bytes(document, "utf-8")))` with
    `loss = -np.mean(all_prob)` (models.py `get_ll`).
Deliberate, documented departures (the same ones MIAIndicators.swift makes):
  * every k-selection keeps max(1, int(N * k)) tokens (VL-MIA's floor; the Min-K%++ code gives NaN at k*N < 1);
  * Min-K%++ z = 0 where sigma^2 <= 0 (the reference divides 0 by 0);
  * entropy terms with p == 0 (masked logits) count as 0 (torch gives 0 * -inf = NaN);
  * when all log-probs are equal the "second" log-prob is the maximum itself (VL-MIA raises);
  * Max-K% Prob (not in VL-MIA) mirrors its Min_K% Prob from the top: -mean(np.sort(all_prob)[-k_length:]).
"""
import json
import os
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
K_FRACTIONS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
RENYI_FRACTIONS = [0, 0.1, 1]
EPSILON = 1e-10


def column_names():
    label = lambda k: f"{int(round(k * 100)):02d}"
    names = ["ppl", "entropy_mean", "zlib_ratio", "max_prob_gap"]
    names += [f"min_k_prob_k{label(k)}" for k in K_FRACTIONS]
    names += [f"max_k_prob_k{label(k)}" for k in K_FRACTIONS]
    names += [f"min_k_plus_plus_k{label(k)}" for k in K_FRACTIONS]
    names += [f"max_renyi_a{a}_k{int(round(k * 100))}" for a in ["05", "1", "2", "inf"] for k in RENYI_FRACTIONS]
    return names


def log_softmax(logits):
    """torch.nn.functional.log_softmax in float64: x - (m + log sum exp(x - m))."""
    x = np.asarray(logits, dtype=np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    return x - (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))


def meta_metrics(chosen, log_probabilities):
    """VL-MIA get_meta_metrics, one row per scored token (rows already aligned with `chosen`)."""
    out = {k: [] for k in ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2",
                           "renyi_inf", "top1_log_prob", "top2_log_prob"]}
    for i, token_id in enumerate(chosen):
        token_log_probs = log_probabilities[i].astype(np.float64)
        token_probs = np.exp(token_log_probs)
        positive = token_probs > 0
        entropy = -(token_probs[positive] * token_log_probs[positive]).sum()
        token_probs_safe = np.clip(token_probs, EPSILON, 1 - EPSILON)
        alpha = 0.5
        renyi_05 = (1 / (1 - alpha)) * np.log(np.sum(np.power(token_probs_safe, alpha)))
        alpha = 2
        renyi_2 = (1 / (1 - alpha)) * np.log(np.sum(np.power(token_probs_safe, alpha)))
        max_p = token_log_probs.max()
        rest = token_log_probs[token_log_probs != token_log_probs.max()]
        second_p = rest.max() if rest.size else max_p
        # mink-plus-plus run.py: sigma^2 = (probs * square(log_probs)).sum(-1) - square(mu)
        second_moment = (token_probs[positive] * np.square(token_log_probs[positive])).sum()
        out["log_prob"].append(float(token_log_probs[token_id]))
        out["entropy"].append(float(entropy))
        out["expected_log_prob_sq"].append(float(second_moment))
        out["renyi_0_5"].append(float(renyi_05))
        out["renyi_2"].append(float(renyi_2))
        out["renyi_inf"].append(float(-max_p))
        out["top1_log_prob"].append(float(max_p))
        out["top2_log_prob"].append(float(second_p))
    return out


def k_length(n, ratio):
    k = int(n * ratio)
    return 1 if k == 0 else k


def indicators(stats, text):
    all_prob = np.array(stats["log_prob"])
    entropies = np.array(stats["entropy"])
    losses = -all_prob
    loss = np.nanmean(losses)
    pred = {"ppl": float(np.exp(loss)), "entropy_mean": float(np.mean(entropies))}
    # MIMIR zlib.py
    pred["zlib_ratio"] = float(-np.mean(all_prob) / len(zlib.compress(bytes(text, "utf-8"))))
    gap_p = np.array(stats["top1_log_prob"]) - np.array(stats["top2_log_prob"])
    pred["max_prob_gap"] = float(-np.mean(gap_p))
    for ratio in K_FRACTIONS:
        pred[f"min_k_prob_k{int(round(ratio * 100)):02d}"] = float(-np.mean(np.sort(all_prob)[:k_length(len(all_prob), ratio)]))
    for ratio in K_FRACTIONS:
        pred[f"max_k_prob_k{int(round(ratio * 100)):02d}"] = float(-np.mean(np.sort(all_prob)[-k_length(len(all_prob), ratio):]))
    mu = -entropies
    sigma = np.array(stats["expected_log_prob_sq"]) - np.square(mu)
    with np.errstate(invalid="ignore", divide="ignore"):
        mink_plus = np.where(sigma > 0, (all_prob - mu) / np.sqrt(np.where(sigma > 0, sigma, 1.0)), 0.0)
    for ratio in K_FRACTIONS:
        pred[f"min_k_plus_plus_k{int(round(ratio * 100)):02d}"] = float(-np.mean(np.sort(mink_plus)[:k_length(len(mink_plus), ratio)]))
    series = {"05": stats["renyi_0_5"], "1": stats["entropy"], "2": stats["renyi_2"],
              "inf": -np.array(stats["top1_log_prob"])}
    for name, values in series.items():
        for ratio in RENYI_FRACTIONS:
            pred[f"max_renyi_a{name}_k{int(round(ratio * 100))}"] = float(np.mean(np.sort(values)[-k_length(len(values), ratio):]))
    return [pred[name] for name in column_names()]


WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "speech", "audio", "model", "héllo",
         "wörld", "✓", "membership", "inference", "whisper", "rain", "tomorrow", "north"]


def make_case(rng, name, vocab, length, scale, kind="random"):
    if kind == "uniform":
        logits = np.zeros((length, vocab))
    elif kind == "onehot":
        logits = np.zeros((length, vocab))
        logits[:, 0] = 200.0
    elif kind == "tied":
        logits = np.round(rng.normal(0, scale, (length, vocab)), 6)
        logits[:, 1] = logits.max(axis=1)
        logits[:, 2] = logits[:, 1]
    elif kind == "masked":
        logits = np.round(rng.normal(0, scale, (length, vocab)), 6)
        logits[:, 3:7] = -np.inf
    else:
        logits = np.round(rng.normal(0, scale, (length, vocab)), 6)
    logp = log_softmax(logits)
    p = np.exp(logp)
    # Chosen tokens: mostly samples from the distribution, sometimes the least likely token.
    chosen = [int(rng.choice(vocab, p=p[i] / p[i].sum())) if rng.random() < 0.8 else int(np.argmin(np.where(np.isfinite(logp[i]), logp[i], np.inf)))
              for i in range(length)]
    if kind == "onehot":
        chosen = [0 if i % 2 == 0 else 1 for i in range(length)]
    stats = meta_metrics(chosen, logp)
    n_words = int(rng.integers(0, 12))
    text = " ".join(rng.choice(WORDS, n_words)) if name != "empty-text" else ""
    return logits, chosen, stats, text


def main():
    rng = np.random.default_rng(20240613)
    specs = [("length-1", 50, 1, 3.0, "random"), ("length-1-flat", 1000, 1, 0.1, "random"),
             ("uniform", 16, 7, 1.0, "uniform"), ("one-hot-ish", 32, 6, 1.0, "onehot"),
             ("tied-top", 40, 9, 2.0, "tied"), ("masked", 30, 11, 2.0, "masked"),
             ("empty-text", 100, 5, 2.0, "random"), ("kN-below-1", 200, 19, 4.0, "random")]
    for seed_index in range(24):
        vocab = [2, 5, 50, 1000, 5000][seed_index % 5]
        length = int(rng.integers(1, 51))
        scale = [0.3, 2.0, 8.0][seed_index % 3]
        specs.append((f"random-{seed_index}", vocab, length, scale, "random"))
    for length in [20, 40, 50]:
        specs.append((f"exact-multiples-{length}", 300, length, 3.0, "random"))

    items, distributions = [], []
    for name, vocab, length, scale, kind in specs:
        logits, chosen, stats, text = make_case(rng, name, vocab, length, scale, kind)
        items.append({"id": name, "vocab": vocab, "tokens": chosen, "text": text, "stats": stats,
                      "indicators": indicators(stats, text),
                      "zlib_length": len(zlib.compress(bytes(text, "utf-8")))})
        if vocab <= 50 and length <= 12:
            distributions.append({"id": name, "logits": [[x if np.isfinite(x) else None for x in row] for row in logits.tolist()],
                                  "tokens": chosen, "stats": stats})
    header = {"generator": "Tests/EarshotScoringTests/Fixtures/make_fixtures.py", "numpy": np.__version__,
              "zlib": zlib.ZLIB_RUNTIME_VERSION, "columns": column_names()}
    with open(os.path.join(HERE, "indicators.json"), "w") as f:
        json.dump({**header, "items": items}, f, separators=(",", ":"))
    with open(os.path.join(HERE, "distributions.json"), "w") as f:
        json.dump({**header, "items": distributions}, f, separators=(",", ":"))
    print(f"{len(items)} indicator items, {len(distributions)} distribution items, {len(column_names())} columns")


def protocol_examples():
    """Worker-protocol lines checked against schemas/worker-protocol.schema.json; `swift` says whether
    WorkerMessage.decode(line:expectedID:"utt-1", vocabularySize: 100) must accept or reject each one."""
    import jsonschema

    schema_path = os.path.join(HERE, "..", "..", "..", "schemas", "worker-protocol.schema.json")
    with open(schema_path) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    stats = {"log_prob": [-0.1, -2.5], "entropy": [0.3, 1.2], "expected_log_prob_sq": [0.2, 2.0],
             "renyi_0_5": [0.9, 2.1], "renyi_2": [0.1, 0.8], "renyi_inf": [0.05, 0.6],
             "top1_log_prob": [-0.05, -0.6], "top2_log_prob": [-3.0, -1.1]}
    sha = "0123456789abcdef" * 4
    worker = [
        ("hello", {"type": "hello", "protocol": 1, "model_id": "whisper-tiny.en", "weights_sha256": sha, "vocab_size": 100}, True, "accept"),
        ("hello without prompt", {"type": "hello", "protocol": 1, "model_id": "m", "weights_sha256": sha, "vocab_size": 100, "accepts_prompt": False}, True, "accept"),
        ("result", {"type": "result", "id": "utt-1", "tokens": [7, 99], "text": " Hi.", "stats": stats}, True, "accept"),
        ("error", {"type": "error", "id": "utt-1", "message": "cannot read audio"}, True, "accept"),
        ("error without id", {"type": "error", "id": None, "message": "request is not JSON"}, True, "accept"),
        ("protocol 2", {"type": "hello", "protocol": 2, "model_id": "m", "weights_sha256": sha, "vocab_size": 100}, False, "reject"),
        ("uppercase hash", {"type": "hello", "protocol": 1, "model_id": "m", "weights_sha256": sha.upper(), "vocab_size": 100}, False, "reject"),
        ("unknown type", {"type": "status", "id": "utt-1"}, False, "reject"),
        ("missing stats field", {"type": "result", "id": "utt-1", "tokens": [7, 99], "text": "",
                                 "stats": {k: v for k, v in stats.items() if k != "renyi_2"}}, False, "reject"),
        ("wrong id", {"type": "result", "id": "utt-2", "tokens": [7, 99], "text": "", "stats": stats}, True, "reject"),
        ("short array", {"type": "result", "id": "utt-1", "tokens": [7, 99], "text": "",
                         "stats": {**stats, "entropy": [0.3]}}, True, "reject"),
        ("token outside vocabulary", {"type": "result", "id": "utt-1", "tokens": [7, 100], "text": "", "stats": stats}, True, "reject"),
    ]
    examples = []
    for name, message, schema_valid, swift in worker:
        assert validator.is_valid(message) == schema_valid, name
        examples.append({"name": name, "line": json.dumps(message), "schema_valid": schema_valid, "swift": swift})
    # Lines that are not JSON at all (Python's json.dumps writes NaN and Infinity, which JSON forbids).
    for name, line in [("NaN literal", json.dumps({"type": "result", "id": "utt-1", "tokens": [7, 99], "text": "",
                                                   "stats": {**stats, "log_prob": [float("nan"), -1.0]}})),
                       ("Infinity literal", json.dumps({"type": "result", "id": "utt-1", "tokens": [7, 99], "text": "",
                                                        "stats": {**stats, "renyi_inf": [float("inf"), 0.6]}})),
                       ("overflowing number", json.dumps({"type": "result", "id": "utt-1", "tokens": [7, 99], "text": "",
                                                          "stats": stats}).replace("-2.5", "-1e999")),
                       ("truncated", '{"type": "result", "id": "utt-1", "tok'), ("not an object", "[1, 2]")]:
        examples.append({"name": name, "line": line, "schema_valid": False, "swift": "reject"})
    engine = [
        ("score by path", {"type": "score", "id": "utt-1", "audio_path": "/data/a.wav", "prompt": "Transcribe the input speech.",
                           "mode": "self", "max_new_tokens": 32}, True),
        ("score by pcm, reference", {"type": "score", "id": "utt-1", "pcm_f32_b64": "AACAPwAAAL8=", "sample_rate": 16000,
                                     "prompt": "", "mode": "reference", "max_new_tokens": 32, "transcript": "hello"}, True),
        ("shutdown", {"type": "shutdown"}, True),
        ("reference without transcript", {"type": "score", "id": "utt-1", "audio_path": "a.wav", "prompt": "",
                                          "mode": "reference", "max_new_tokens": 32}, False),
        ("both audio forms", {"type": "score", "id": "utt-1", "audio_path": "a.wav", "pcm_f32_b64": "", "sample_rate": 16000,
                              "prompt": "", "mode": "self", "max_new_tokens": 32}, False),
        ("self with transcript", {"type": "score", "id": "utt-1", "audio_path": "a.wav", "prompt": "", "mode": "self",
                                  "max_new_tokens": 32, "transcript": "x"}, False),
    ]
    requests = []
    for name, message, schema_valid in engine:
        assert validator.is_valid(message) == schema_valid, name
        requests.append({"name": name, "message": message, "schema_valid": schema_valid})
    with open(os.path.join(HERE, "protocol_examples.json"), "w") as f:
        json.dump({"generator": "Tests/EarshotScoringTests/Fixtures/make_fixtures.py", "worker_lines": examples,
                   "engine_messages": requests}, f, indent=1)
    print(f"{len(examples)} worker lines, {len(requests)} engine messages checked against the schema")


if __name__ == "__main__":
    main()
    protocol_examples()
