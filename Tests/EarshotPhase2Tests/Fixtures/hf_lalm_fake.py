#!/usr/bin/env python3
"""Serves the worker protocol through workers/hf_lalm.py's shared library with a fake model (numpy only, no
torch), for tests that need an LALM-shaped worker without a model (PaperTemplateTests).

Usage: python hf_lalm_fake.py PATH/TO/workers/hf_lalm.py

The fake "model" has a 50-token vocabulary, id 0 being end-of-sequence. Its logits at step t depend on
the audio's RMS (rounded) and the tokens so far; greedy decoding takes the arg max and stops on id 0 or at
max_new_tokens. Reference mode tokenises words as 1 + (sum of UTF-8 bytes) % 49, then appends id 0.
Importing hf_lalm must not need torch or transformers (they are imported only when a real model loads).
"""
import hashlib
import importlib.util
import sys

import numpy as np

spec = importlib.util.spec_from_file_location("hf_lalm", sys.argv[1])
hf_lalm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hf_lalm)
assert "torch" not in sys.modules and "transformers" not in sys.modules

VOCAB = 50


class FakeBackend:
    def logits(self, audio, history):
        seed = hashlib.sha256(f"{round(float(np.sqrt(np.mean(audio ** 2))), 3)}/{history}".encode()).digest()
        rng = np.random.default_rng(list(seed[:8]))
        row = rng.normal(0, 2, VOCAB)
        row[0] += 0.6 * len(history)  # end-of-sequence grows likelier
        return row

    def score(self, items):
        return [self.score_one(item.audio, item.mode, item.max_new_tokens, item.transcript) for item in items]

    def score_one(self, audio, mode, max_new_tokens, transcript):
        if mode == "self":
            tokens = []
            while len(tokens) < max_new_tokens:
                token = int(np.argmax(self.logits(audio, tokens)))
                tokens.append(token)
                if token == 0:
                    break
        else:
            tokens = [1 + sum(w.encode()) % 49 for w in transcript.split()] + [0]
        rows = np.array([self.logits(audio, tokens[:t]) for t in range(len(tokens))])
        text = " ".join(f"t{t}" for t in tokens if t != 0)
        return hf_lalm.Scored(tokens, text, rows)


hello = {"type": "hello", "protocol": 1, "model_id": "fake-lalm", "weights_sha256": hashlib.sha256(b"fake lalm").hexdigest(),
         "vocab_size": VOCAB, "accepts_prompt": True}
hf_lalm.serve(FakeBackend(), hello, log_name="hf_lalm_fake")  # the shared loop hf_lalm.py imports
