#!/usr/bin/env python3
"""Earshot scorer worker for large audio language models through Hugging Face transformers (protocol v1).

UNTESTED ON REAL WEIGHTS: written against the transformers API (AudioFlamingo3ForConditionalGeneration,
Qwen2AudioForConditionalGeneration) without a GPU or downloadable weights; only its protocol handling is
exercised by Earshot's tests, through a fake backend (Tests/EarshotPhase2Tests/Fixtures/hf_lalm_fake.py).

Speaks schemas/worker-protocol.md on stdin/stdout: a hello line, then one `result` or `error` line per
`score` request, until `shutdown` or end of input. Diagnostics go to stderr.

Models (from a local weights folder, never downloaded):
  --arch af3          AudioFlamingo3ForConditionalGeneration + AutoProcessor (e.g. nvidia/audio-flamingo-3-hf)
  --arch qwen2-audio  Qwen2AudioForConditionalGeneration + AutoProcessor (e.g. Qwen/Qwen2-Audio-7B-Instruct)

Scoring:
  * Audio: decoded with soundfile (or the request's inline PCM), mixed to mono, resampled to 16 kHz (soxr HQ).
  * Prompt: one user turn holding the audio and the request's `prompt` text, rendered with the processor's
    chat template and add_generation_prompt=True (the assistant turn is opened, nothing of it written).
  * mode "self" (the paper's two-stage protocol): stage 1, `model.generate(do_sample=False, num_beams=1,
    max_new_tokens=N)` (greedy, the model's generation config otherwise); stage 2, ONE forward pass over
    prompt + generated tokens, and the distribution at position (prompt length - 1 + j) scores generated
    token j, for every generated token (the end-of-sequence token included when generation stopped on it).
    Logits come straight from the forward pass: no logits processor, no temperature.
  * mode "reference": the transcript, tokenised without special tokens, followed by the tokenizer's EOS
    token, is scored the same way (one forward pass over prompt + transcript).
  * Statistics: float64 log-softmax of the logits, then the protocol's eight statistics (same definitions
    and code as workers/whisper_ct2.py; Renyi sums over probabilities clamped to [1e-10, 1 - 1e-10]).
  * vocab_size: the output embedding's row count (the logits' last dimension).
  * weights_sha256: SHA-256 over the sorted lines "<relative path>\\t<sha256 of file>\\n" of every
    *.safetensors and *.bin file in the weights folder (slow for large models; pass --weights-sha256 to
    give a precomputed value, e.g. from a previous hello).

Run: python3 workers/hf_lalm.py --arch af3 --model /models/audio-flamingo-3-hf [--device cuda] [--dtype bfloat16]
Dependencies (not pinned here): torch, transformers (a release that has both model classes), numpy,
soundfile, soxr, accelerate (for device_map).
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import time

PROTOCOL = 1
SAMPLE_RATE = 16000
RENYI_EPSILON = 1e-10
STAT_NAMES = ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2", "renyi_inf",
              "top1_log_prob", "top2_log_prob"]


class RequestError(Exception):
    """A request this worker cannot score; becomes an error reply and the worker keeps serving."""


def token_statistics(logits, chosen):
    """Per-token statistics (protocol `stats`) from a [T, V] logits matrix and T chosen ids."""
    import numpy as np
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(axis=1, keepdims=True)
    log_p = x - (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))
    p = np.exp(log_p)
    positive = p > 0
    safe_log_p = np.where(positive, log_p, 0.0)
    entropy = -(p * safe_log_p).sum(axis=1)
    second_moment = (p * safe_log_p * safe_log_p).sum(axis=1)
    clamped = np.clip(p, RENYI_EPSILON, 1 - RENYI_EPSILON)
    renyi_05 = 2.0 * np.log(np.sqrt(clamped).sum(axis=1))
    renyi_2 = -np.log((clamped * clamped).sum(axis=1))
    top1 = log_p.max(axis=1)
    below = np.where(log_p != top1[:, None], log_p, -np.inf).max(axis=1)
    top2 = np.where(np.isfinite(below), below, top1)
    rows = np.arange(len(chosen))
    values = {
        "log_prob": log_p[rows, chosen], "entropy": entropy, "expected_log_prob_sq": second_moment,
        "renyi_0_5": renyi_05, "renyi_2": renyi_2, "renyi_inf": -top1,
        "top1_log_prob": top1, "top2_log_prob": top2,
    }
    for name in STAT_NAMES:
        if not np.all(np.isfinite(values[name])):
            raise RequestError(f"statistic '{name}' is not finite (a chosen token has probability zero)")
    return {name: [float(v) for v in values[name]] for name in STAT_NAMES}


def load_audio(request):
    """The request's audio as float32 mono samples at 16 kHz."""
    import numpy as np
    if "audio_path" in request:
        import soundfile
        try:
            audio, rate = soundfile.read(request["audio_path"], dtype="float32", always_2d=True)
        except Exception as error:  # soundfile raises several types for unreadable files
            raise RequestError(f"cannot read audio '{request['audio_path']}': {error}")
        audio = audio.mean(axis=1)
    elif "pcm_f32_b64" in request:
        rate = request.get("sample_rate")
        if not isinstance(rate, int) or rate <= 0:
            raise RequestError(f"sample_rate must be a positive integer, got {rate!r}")
        try:
            raw = base64.b64decode(request["pcm_f32_b64"], validate=True)
        except Exception as error:
            raise RequestError(f"pcm_f32_b64 is not base64: {error}")
        if len(raw) % 4:
            raise RequestError(f"pcm_f32_b64 holds {len(raw)} bytes, not a whole number of float32 samples")
        audio = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    else:
        raise RequestError("the request has neither 'audio_path' nor 'pcm_f32_b64'")
    if not np.all(np.isfinite(audio)):
        raise RequestError("the audio contains NaN or infinite samples")
    if rate != SAMPLE_RATE and len(audio):
        import soxr
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    if len(audio) == 0:
        raise RequestError("the audio is empty")
    return np.ascontiguousarray(audio, dtype=np.float32)


def weights_digest(folder):
    """SHA-256 over "<relative path>\\t<file sha256>\\n" of the weight files, sorted by path."""
    lines = []
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith((".safetensors", ".bin")):
                path = os.path.join(root, name)
                digest = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 24), b""):
                        digest.update(block)
                lines.append(f"{os.path.relpath(path, folder)}\t{digest.hexdigest()}\n")
    if not lines:
        raise SystemExit(f"hf_lalm: no *.safetensors or *.bin file under '{folder}'")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


class HFBackend:
    """AF3 or Qwen2-Audio through transformers. `score` returns (tokens, text, logits [T, V])."""

    def __init__(self, arch, model_dir, device, dtype):
        import torch
        import transformers
        classes = {"af3": "AudioFlamingo3ForConditionalGeneration", "qwen2-audio": "Qwen2AudioForConditionalGeneration"}
        model_class = getattr(transformers, classes[arch], None)
        if model_class is None:
            raise SystemExit(f"hf_lalm: transformers {transformers.__version__} has no {classes[arch]}; upgrade it")
        self.torch = torch
        self.arch = arch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
            dtype or ("bfloat16" if self.device.startswith("cuda") else "float32")]
        self.processor = transformers.AutoProcessor.from_pretrained(model_dir)
        self.model = model_class.from_pretrained(model_dir, torch_dtype=torch_dtype).to(self.device).eval()
        self.tokenizer = self.processor.tokenizer
        self.vocab_size = int(self.model.get_output_embeddings().weight.shape[0])
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            self.eos_ids.add(self.tokenizer.eos_token_id)
        self.reference_eos = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else min(self.eos_ids)

    def prompt_inputs(self, audio, prompt):
        if self.arch == "af3":
            # The order of AudioFlamingo3Processor.apply_transcription_request: instruction, then the sound.
            content = [{"type": "text", "text": prompt}, {"type": "audio", "audio": audio}]
            inputs = self.processor.apply_chat_template([{"role": "user", "content": content}], tokenize=True,
                                                        add_generation_prompt=True, return_dict=True)
        else:
            # Qwen2-Audio's documented order: the audio ("Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>"), then the text.
            content = [{"type": "audio", "audio_url": "input"}, {"type": "text", "text": prompt}]
            text = self.processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True,
                                                      tokenize=False)
            try:
                inputs = self.processor(text=text, audio=[audio], sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True)
            except TypeError:  # transformers releases before the `audio` keyword called it `audios`
                inputs = self.processor(text=text, audios=[audio], sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True)
        inputs = inputs.to(self.device)
        dtype = self.model.dtype
        return {k: (v.to(dtype) if hasattr(v, "is_floating_point") and v.is_floating_point() else v) for k, v in inputs.items()}

    def score(self, audio, prompt, mode, max_new_tokens, transcript):
        torch = self.torch
        inputs = self.prompt_inputs(audio, prompt)
        prompt_ids = inputs["input_ids"]
        prompt_length = prompt_ids.shape[1]
        with torch.inference_mode():
            if mode == "self":
                output = self.model.generate(**inputs, do_sample=False, num_beams=1, max_new_tokens=max_new_tokens)
                target = output[0, prompt_length:].tolist()
                # Batch of one: nothing follows the first end-of-sequence token but padding.
                for i, token in enumerate(target):
                    if token in self.eos_ids:
                        target = target[: i + 1]
                        break
            else:
                target = self.tokenizer(transcript, add_special_tokens=False)["input_ids"] + [self.reference_eos]
            if not target:
                return [], "", None
            full = torch.cat([prompt_ids, torch.tensor([target], dtype=prompt_ids.dtype, device=prompt_ids.device)], dim=1)
            forward = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
            forward["input_ids"] = full
            forward["attention_mask"] = torch.ones_like(full)
            logits = self.model(**forward).logits[0, prompt_length - 1: prompt_length - 1 + len(target)]
            logits = logits.float().cpu().numpy()
        text = self.tokenizer.decode(target, skip_special_tokens=True)
        return target, text, logits


def serve(backend, hello, stdin=sys.stdin, stdout=sys.stdout, log_name="hf_lalm"):
    """The protocol loop: `backend.score(audio, prompt, mode, max_new_tokens, transcript)` returns
    (tokens, text, logits [T, V] or None when T = 0)."""
    def reply(message):
        stdout.write(json.dumps(message, ensure_ascii=False, allow_nan=False) + "\n")
        stdout.flush()

    reply(hello)
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            reply({"type": "error", "id": None, "message": f"request is not a JSON object: {error}"})
            continue
        kind = request.get("type")
        if kind == "shutdown":
            break
        item_id = request.get("id")
        if kind != "score" or not isinstance(item_id, str) or not item_id:
            reply({"type": "error", "id": item_id if isinstance(item_id, str) else None,
                   "message": f"expected a 'score' request with a non-empty string id, got type {kind!r}"})
            continue
        started = time.perf_counter()
        try:
            mode = request.get("mode")
            max_new_tokens = request.get("max_new_tokens")
            if mode not in ("self", "reference"):
                raise RequestError(f"mode must be 'self' or 'reference', got {mode!r}")
            if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
                raise RequestError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
            transcript = request.get("transcript")
            if mode == "reference" and not isinstance(transcript, str):
                raise RequestError("mode 'reference' needs a transcript")
            audio = load_audio(request)
            tokens, text, logits = backend.score(audio, request.get("prompt", ""), mode, max_new_tokens, transcript)
            if any(t < 0 or t >= hello["vocab_size"] for t in tokens):
                raise RequestError("a scored token id is outside the vocabulary")
            stats = token_statistics(logits, tokens) if tokens else {name: [] for name in STAT_NAMES}
            reply({"type": "result", "id": item_id, "tokens": [int(t) for t in tokens], "text": text, "stats": stats})
        except RequestError as error:
            reply({"type": "error", "id": item_id, "message": str(error)})
        except Exception as error:  # a model failure on one item must not end the session
            reply({"type": "error", "id": item_id, "message": f"{type(error).__name__}: {error}"})
        print(f"{log_name}: {item_id} {time.perf_counter() - started:.3f} s", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["af3", "qwen2-audio"], required=True)
    parser.add_argument("--model", required=True, help="local weights folder (config, processor, *.safetensors)")
    parser.add_argument("--model-id", help="identity reported in the hello (default: ARCH:FOLDER-NAME)")
    parser.add_argument("--weights-sha256", help="precomputed weights digest (default: computed, see above)")
    parser.add_argument("--device", help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], help="default: bfloat16 on cuda, float32 on cpu")
    args = parser.parse_args()
    if not os.path.isdir(args.model):
        raise SystemExit(f"hf_lalm: weights folder '{args.model}' does not exist (this worker never downloads)")
    weights = args.weights_sha256 or weights_digest(args.model)
    backend = HFBackend(args.arch, args.model, args.device, args.dtype)
    model_id = args.model_id or f"{args.arch}:{os.path.basename(os.path.normpath(args.model))}"
    hello = {"type": "hello", "protocol": PROTOCOL, "model_id": model_id, "weights_sha256": weights,
             "vocab_size": backend.vocab_size, "accepts_prompt": True}
    serve(backend, hello)


if __name__ == "__main__":
    main()
