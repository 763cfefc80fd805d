#!/usr/bin/env python3
"""Tiny LALMs and their expected outputs for LALMWorkerTests (no download; CPU; ~1 MB per model).

Usage: python lalm_fixture.py OUT_DIR PROMPT MAX_NEW_TOKENS TRANSCRIPT ARCH... -- ID=AUDIO_PATH...
An AUDIO_PATH that does not exist yet and ends in "stereo44k.wav" is first written: 2 s of seeded noise,
44.1 kHz, two different channels (the test's resampling and down-mixing case).

For every ARCH, in one process (imports are the slow part):
  * OUT_DIR/ARCH: workers/make_tiny_lalm.py's model (seed 0, the converter's generation config), with a
    second end-of-sequence id in generation_config.json — the token the model greedily writes sixth for
    the first audio — so that item decodes through the end-of-sequence path (real models also list
    several ids: Qwen's <|im_end|> and <|endoftext|>);
  * OUT_DIR/ARCH-hostile: the same weights and tokenizer with a generation config that sets
    repetition_penalty 1.05, temperature, top_k, top_p and no_repeat_ngram_size, and only the converter's
    end-of-sequence id (no second one): its decodes run to MAX_NEW_TOKENS, long enough for those
    processors to change them (see `penalised`);
  * expected tokens per item, written to OUT_DIR/expected.json:
      self: an in-process greedy decode — a plain loop (no `generate`, no logits processor): one forward
            pass over the prompt with the audio, then one per token on the key/value cache, the token fed as
            text (never with the audio inputs: a token equal to the audio placeholder id is text, as in
            `generate`), arg max of the last position's logits, stopping on an end-of-sequence id or after
            MAX_NEW_TOKENS tokens (`tokens` with OUT_DIR/ARCH's ids, `hostile` with OUT_DIR/ARCH-hostile's); the prompt is rendered by hf_lalm's chat-template code and
            the audio read by the shared loader, as the worker does;
      penalised: what `generate` decodes in OUT_DIR/ARCH-hostile with that config's deterministic
            processors (repetition_penalty 1.05, no_repeat_ngram_size 2, no sampling) — where it differs from `self`,
            a worker that let those processors act would fail the test;
      reference: the transcript's tokens (no special tokens) + the first end-of-sequence id;
      placeholder: the architecture's audio placeholder token and id, and the reference tokens of
            "TRANSCRIPT PLACEHOLDER TRANSCRIPT" (a transcript holding the placeholder as text);
      audio longer than the architecture's limit: the error the worker must give (null tokens).
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "workers"))
sys.path.insert(0, WORKERS)

import torch  # noqa: E402
from earshot_worker.audio import AudioError, load_audio  # noqa: E402
import hf_lalm  # noqa: E402
import make_tiny_lalm  # noqa: E402


def greedy(backend, audio, prompt, limit):
    inputs = backend.processor(text=[backend.render(prompt)], audio=[audio], sampling_rate=16000, return_tensors="pt")
    inputs.pop("num_audio_tokens", None)
    ids = inputs.pop("input_ids")
    inputs.pop("attention_mask")
    tokens = []
    with torch.inference_mode():  # the audio goes in with the prompt only; each token is fed as text on the cache
        out = backend.model(input_ids=ids, attention_mask=torch.ones_like(ids), **inputs, use_cache=True)
        while True:
            token = int(out.logits[0, -1].argmax())
            tokens.append(token)
            if token in backend.eos_ids or len(tokens) == limit:
                return tokens
            length = ids.shape[1] + len(tokens)
            out = backend.model(input_ids=torch.tensor([[token]]), attention_mask=torch.ones((1, length), dtype=torch.long),
                                position_ids=torch.tensor([[length - 1]]), cache=out.cache, use_cache=True)


def penalised(backend, audio, prompt, limit):
    from transformers import GenerationConfig
    inputs = backend.processor(text=[backend.render(prompt)], audio=[audio], sampling_rate=16000, return_tensors="pt")
    inputs.pop("num_audio_tokens", None)
    config = GenerationConfig(do_sample=False, repetition_penalty=1.05, no_repeat_ngram_size=2, max_new_tokens=limit,
                              eos_token_id=backend.eos_ids, pad_token_id=backend.pad_id)
    with torch.inference_mode():
        out = backend.model.generate(**inputs, generation_config=config)
    tokens = []
    for token in out[0, inputs["input_ids"].shape[1]:].tolist():
        tokens.append(token)
        if token in backend.eos_ids:
            break
    return tokens


def main():
    out, prompt, limit, transcript = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    split = sys.argv.index("--")
    archs, audio_args = sys.argv[5:split], sys.argv[split + 1:]
    items = [arg.split("=", 1) for arg in audio_args]
    for _, path in items:
        if path.endswith("stereo44k.wav") and not os.path.exists(path):
            import numpy as np
            import soundfile
            noise = np.random.default_rng(7).standard_normal((2 * 44100, 2)) * [0.1, 0.3]
            soundfile.write(path, noise.astype(np.float32), 44100, subtype="FLOAT")
    expected = {}
    for arch in archs:
        folder = make_tiny_lalm.build(arch, os.path.join(out, arch))
        backend = hf_lalm.HFBackend(arch, folder, "cpu", "float32")
        first = load_audio({"audio_path": items[0][1]})
        stop = greedy(backend, first, prompt, 6)[-1]
        config_path = os.path.join(folder, "generation_config.json")
        with open(config_path) as f:
            config = json.load(f)
        eos = config["eos_token_id"] if isinstance(config["eos_token_id"], list) else [config["eos_token_id"]]
        config["eos_token_id"] = eos + ([stop] if stop not in eos else [])
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2)
        hostile_folder = os.path.join(out, arch + "-hostile")
        shutil.copytree(folder, hostile_folder, dirs_exist_ok=True)
        config.update(do_sample=True, repetition_penalty=1.05, temperature=0.3, top_k=3, top_p=0.5, no_repeat_ngram_size=2,
                      eos_token_id=eos)
        with open(os.path.join(hostile_folder, "generation_config.json"), "w") as f:
            json.dump(config, f, indent=2)
        backend = hf_lalm.HFBackend(arch, folder, "cpu", "float32")
        hostile = hf_lalm.HFBackend(arch, hostile_folder, "cpu", "float32")
        entry = {"eos": backend.eos_ids, "vocab_size": backend.vocab_size, "max_seconds": backend.max_seconds,
                 "reference": backend.tokenizer(transcript, add_special_tokens=False)["input_ids"] + [backend.eos_ids[0]],
                 "self": {}}
        placeholder_id = backend.model.config.audio_token_id
        placeholder = backend.tokenizer.convert_ids_to_tokens(placeholder_id)
        text = f"{transcript} {placeholder} {transcript}"
        entry["placeholder"] = {"token": placeholder, "id": placeholder_id,
                                "reference": backend.tokenizer(text, add_special_tokens=False)["input_ids"] + [backend.eos_ids[0]]}
        for item_id, path in items:
            try:
                audio = load_audio({"audio_path": path}, max_seconds=backend.max_seconds)
            except AudioError as error:
                entry["self"][item_id] = {"error": str(error)}
                continue
            entry["self"][item_id] = {"tokens": greedy(backend, audio, prompt, limit),
                                      "hostile": greedy(hostile, audio, prompt, limit),
                                      "penalised": penalised(hostile, audio, prompt, limit)}
        expected[arch] = entry
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
