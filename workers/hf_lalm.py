#!/usr/bin/env python3
"""Earshot scorer worker for large audio language models through Hugging Face transformers (protocol v1).

Speaks schemas/worker-protocol.md on stdin/stdout (workers/earshot_worker/protocol.py): a hello line, then
one reply line per request — `score`, or `score_batch` (up to --max-batch items scored per forward pass).

Architectures (ARCHS below; one code path, per-architecture differences in that table). Each runs from a
local weights folder (never downloaded) and was tested in CI on tiny random configs
(Tests/EarshotPhase2Tests/LALMWorkerTests.swift, models made by workers/make_tiny_lalm.py):
  --arch af3             AudioFlamingo3ForConditionalGeneration (nvidia/audio-flamingo-3-hf)
  --arch music-flamingo  MusicFlamingoForConditionalGeneration (nvidia/music-flamingo-hf)
  --arch qwen2-audio     Qwen2AudioForConditionalGeneration (Qwen/Qwen2-Audio-7B-Instruct)
  --arch glm-asr         GlmAsrForConditionalGeneration (zai-org/GLM-ASR-Nano-2512)
  --arch qwen3-asr       Qwen3ASRForConditionalGeneration (Qwen/Qwen3-ASR-1.7B)

Scoring (all items of a batch together; each item's tokens and statistics equal its unbatched ones):
  * Audio: decoded (soundfile) or the request's inline PCM, mixed to mono, resampled to 16 kHz (soxr HQ).
    Long audio: AF3 and Music Flamingo cut it into the processor's 30 s windows (their documented
    windowing) up to the processor's max_audio_len (600 s / 1200 s); Qwen2-Audio takes one 30 s window.
    Longer audio gets an error reply naming its duration and the limit — never silent truncation.
  * Prompt: one user turn holding the request's `prompt` text and the audio (order per ARCHS), rendered
    with the folder's chat template, add_generation_prompt=True.
  * mode "self" (the paper's two-stage protocol). Stage 1: pure greedy decoding — `generate` with a
    neutral generation config (argmax, no repetition penalty, n-gram blocking, bad words, forced or
    suppressed tokens, min length, temperature or top-k/p, whatever generation_config.json says; only its
    end-of-sequence and padding ids are kept), at most max_new_tokens tokens, stopping after the first
    end-of-sequence token. Every generated token is checked to be the argmax of generate's raw logits.
    Stage 2: the tokens fed as generate feeds them — one forward pass over the prompt with the audio (its
    last position scores token 0), then one over the generated tokens on that key/value cache without the
    audio inputs (scoring tokens 1...); the end-of-sequence token is included when decoding stopped on it.
    (transformers takes every audio_token_id in input_ids for an audio slot, so one pass over prompt +
    tokens with the audio fails, or misplaces audio, when the model writes its own audio placeholder id.) The worker checks that every scored token is the argmax of its scored distribution, ties (a gap
    within the dtype's rounding: 1e-4 relative in float32, 2^-6 in bfloat16/float16) aside, and replies
    with an error naming the position otherwise, so a change in transformers cannot silently corrupt scores.
  * mode "reference": the transcript, tokenised without special tokens, followed by the end-of-sequence
    token (the first of generation_config.eos_token_id: what ends the model's turn), scored the same way.
  * Batches: prompts and generated tokens are right-padded for stage 2 (causal attention: real tokens never
    see the padding; the tokens' positions continue each prompt) and prompts left-padded for generate
    (which derives positions from the mask).
  * Statistics: float64 from the float32 logits (workers/earshot_worker/stats.py). vocab_size: the
    output head's row count.
  * Identity (hello): weights_sha256 = SHA-256 over "<relative path>\\t<sha256>\\n" of every file in the
    folder that can change outputs (weights, config.json, generation_config.json, tokenizer files,
    processor / feature-extractor configs, chat template; not README/licences/images/dot-folders);
    model_id ends with the transformers and torch versions and the dtype; code_sha256 covers this
    script and workers/earshot_worker/. All three enter the node key.

Run: python3 workers/hf_lalm.py --arch af3 --model /models/audio-flamingo-3-hf [--device cuda]
     [--dtype bfloat16] [--max-batch 16] [--weights-sha256 HEX]
Environment: the project's .venv (bash scripts/install.sh --lalm; CPU torch) or any with torch and
transformers 5.25+, numpy, soundfile, soxr.
"""
import argparse
import copy
import os
import sys
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from earshot_worker.audio import SAMPLE_RATE  # noqa: E402
from earshot_worker.identity import code_digest, folder_digest  # noqa: E402
from earshot_worker.protocol import PROTOCOL, RequestError, Scored, serve  # noqa: E402


@dataclass(frozen=True)
class Arch:
    model_class: str
    audio_first: bool  # the audio before the instruction in the user turn
    windowed: bool  # long audio is cut into the processor's windows up to processor.max_audio_len
    prompt_in_system: bool = False  # the instruction is a system turn, the user turn holds only the audio
    max_seconds: float | None = None  # a fixed limit instead of the processor's (windowed) or one window


ARCHS = {
    # AudioFlamingo3Processor.apply_transcription_request: instruction, then the sound.
    "af3": Arch("AudioFlamingo3ForConditionalGeneration", audio_first=False, windowed=True),
    # AF3's processor design (<|sound_bos|><sound>…<|sound_eos|>), 20-minute windowing; the checkpoint's chat
    # template (transformers' convert_musicflamingo_to_hf.py) writes the sound, then the instruction.
    "music-flamingo": Arch("MusicFlamingoForConditionalGeneration", audio_first=True, windowed=True),
    # Qwen2-Audio's documented order: "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>", then the text.
    "qwen2-audio": Arch("Qwen2AudioForConditionalGeneration", audio_first=True, windowed=False),
    # GlmAsrProcessor.apply_transcription_request: the audio, then the instruction; 30 s windows up to 655 s.
    "glm-asr": Arch("GlmAsrForConditionalGeneration", audio_first=True, windowed=True),
    # Qwen3ASRProcessor.apply_transcription_request: the prompt (context) as a system turn, the audio as the
    # user turn. The encoder attends within windows (n_window_infer) over any length; 20 min bounds the prompt.
    "qwen3-asr": Arch("Qwen3ASRForConditionalGeneration", audio_first=True, windowed=True, prompt_in_system=True,
                      max_seconds=1200.0),
}


def audio_limit(arch, processor):
    """(max seconds, reason) of one item's audio for this architecture and processor."""
    features = processor.feature_extractor
    window = float(getattr(features, "chunk_length", 30))
    if arch.max_seconds is not None:
        return arch.max_seconds, "the encoder's attention windows; the limit bounds the prompt's length"
    if arch.windowed:
        return float(processor.max_audio_len), f"{window:g} s windows up to the processor's max_audio_len"
    return window, "one feature-extractor window; longer audio would be truncated"


class HFBackend:
    """One architecture of ARCHS from a local folder; `score(items)` → one `Scored` or exception per item."""

    def __init__(self, arch_name, model_dir, device, dtype):
        import torch
        import transformers
        arch = ARCHS[arch_name]
        model_class = getattr(transformers, arch.model_class, None)
        if model_class is None:
            raise SystemExit(f"hf_lalm: transformers {transformers.__version__} has no {arch.model_class}; upgrade it")
        self.torch, self.arch = torch, arch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype_name = dtype or ("bfloat16" if self.device.startswith("cuda") else "float32")
        torch_dtype = getattr(torch, self.dtype_name)
        self.processor = transformers.AutoProcessor.from_pretrained(model_dir)
        self.model = model_class.from_pretrained(model_dir, dtype=torch_dtype).to(self.device).eval()
        self.tokenizer = self.processor.tokenizer
        self.vocab_size = int(self.model.get_output_embeddings().weight.shape[0])
        folder = self.model.generation_config
        eos = folder.eos_token_id if folder.eos_token_id is not None else self.tokenizer.eos_token_id
        self.eos_ids = list(eos) if isinstance(eos, (list, tuple)) else [eos]
        if self.eos_ids == [None]:
            raise SystemExit(f"hf_lalm: '{model_dir}' defines no end-of-sequence token")
        pad = folder.pad_token_id if folder.pad_token_id is not None else self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.eos_ids[0]
        # Pure greedy: a fresh config (every logits processor at its neutral default), not the folder's.
        self.greedy = transformers.GenerationConfig(do_sample=False, num_beams=1, eos_token_id=self.eos_ids,
                                                    pad_token_id=self.pad_id)
        self.model.generation_config = self.greedy
        self.max_seconds, self.limit_reason = audio_limit(arch, self.processor)
        self.tie = 1e-4 if self.dtype_name == "float32" else 2.0 ** -6
        self.versions = f"transformers {transformers.__version__}, torch {torch.__version__}, {self.dtype_name}"

    def render(self, prompt):
        audio = {"type": "audio", "audio": "item"}
        text = {"type": "text", "text": prompt}
        if self.arch.prompt_in_system:
            messages = ([{"role": "system", "content": [text]}] if prompt else []) + [{"role": "user", "content": [audio]}]
        else:
            messages = [{"role": "user", "content": [audio, text] if self.arch.audio_first else [text, audio]}]
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def score(self, items):
        torch = self.torch
        inputs = self.processor(text=[self.render(item.prompt) for item in items], audio=[item.audio for item in items],
                                sampling_rate=SAMPLE_RATE, return_tensors="pt",
                                text_kwargs={"padding": True, "padding_side": "right"})
        ids, mask = inputs.pop("input_ids"), inputs.pop("attention_mask")
        inputs.pop("num_audio_tokens", None)
        extra = {k: (v.to(self.device, self.model.dtype) if v.is_floating_point() else v.to(self.device))
                 for k, v in inputs.items()}
        lengths = mask.sum(dim=1).tolist()
        prompts = [ids[i, : lengths[i]].tolist() for i in range(len(items))]
        outcomes = [None] * len(items)
        with torch.inference_mode():
            targets = self.targets(items, prompts, extra, outcomes)
            scorable = [i for i in range(len(items)) if outcomes[i] is None]
            if scorable:
                self.teacher_forced(items, prompts, targets, extra, outcomes)
        return outcomes

    def right_padded(self, sequences):
        """[B, width] token ids padded on the right with pad_id, and their attention mask."""
        torch = self.torch
        width = max(1, max(len(s) for s in sequences))
        ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, sequence in enumerate(sequences):
            ids[i, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
            mask[i, : len(sequence)] = 1
        return ids, mask

    def targets(self, items, prompts, extra, outcomes):
        """Token ids to score per item: stage 1's greedy decode (self) or transcript + EOS (reference)."""
        targets = [None] * len(items)
        for i, item in enumerate(items):
            if item.mode == "reference":
                targets[i] = self.tokenizer(item.transcript, add_special_tokens=False)["input_ids"] + [self.eos_ids[0]]
        decode = [i for i, item in enumerate(items) if item.mode == "self"]
        if not decode:
            return targets
        torch = self.torch
        width = max(len(p) for p in prompts)
        left = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        left_mask = torch.zeros((len(items), width), dtype=torch.long)
        for i, prompt in enumerate(prompts):
            left[i, width - len(prompt):] = torch.tensor(prompt)
            left_mask[i, width - len(prompt):] = 1
        steps = max(items[i].max_new_tokens for i in decode)
        config = copy.deepcopy(self.greedy)
        config.update(max_new_tokens=steps, output_logits=True, return_dict_in_generate=True)
        out = self.model.generate(input_ids=left.to(self.device), attention_mask=left_mask.to(self.device), **extra,
                                  generation_config=config)
        generated = out.sequences[:, width:].tolist()
        raw = torch.stack(out.logits, dim=1).float().cpu()  # [B, steps taken, V], before any processor
        for i in decode:
            tokens = []
            for j, token in enumerate(generated[i][: items[i].max_new_tokens]):
                best = raw[i, j].max().item()
                if raw[i, j, token].item() != best:
                    outcomes[i] = RequestError(
                        f"stage 1 is not pure greedy: token {j} (id {token}) is not the argmax of the model's "
                        f"raw logits (id {int(raw[i, j].argmax())}); generate applied a logits processor")
                    break
                tokens.append(token)
                if token in self.eos_ids:
                    break
            targets[i] = tokens
        return targets

    def teacher_forced(self, items, prompts, targets, extra, outcomes):
        """Stage 2, fed as `generate` feeds the model: the prompts with the audio (right-padded; the last real
        position scores each target's first token), then the targets' other tokens on that key/value cache
        without the audio inputs (positions continuing each prompt). transformers finds the audio slots as
        every `audio_token_id` in input_ids, so a target token with that id (a model can write its audio
        placeholder) must not meet the audio features: it is a text token, as in stage 1. Fills outcomes."""
        torch = self.torch
        rows = [i for i in range(len(items)) if outcomes[i] is None]
        lengths = torch.tensor([len(p) for p in prompts])
        ids, mask = self.right_padded(prompts)
        out = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device), **extra, use_cache=True)
        first = out.logits[torch.arange(len(items)), lengths - 1].float().cpu()  # [B, V]: scores token 0
        rest = None
        if max(len(t) for t in targets) > 1:
            tail, tail_mask = self.right_padded([t[:-1] for t in targets])
            positions = lengths[:, None] + torch.arange(tail.shape[1])[None, :]
            rest = self.model(input_ids=tail.to(self.device), attention_mask=torch.cat([mask, tail_mask], 1).to(self.device),
                              position_ids=positions.to(self.device), cache=out.cache, use_cache=True).logits.float().cpu()
        for i in rows:
            count = len(targets[i])
            scored = first[i: i + 1] if count == 1 else torch.cat([first[i: i + 1], rest[i, : count - 1]])
            if items[i].mode == "self":
                best = scored.max(dim=1).values
                chosen = scored[torch.arange(count), torch.tensor(targets[i], dtype=torch.long)]
                gap = best - chosen
                bad = (gap > self.tie * best.abs().clamp(min=1.0)).nonzero()
                if len(bad):
                    j = int(bad[0])
                    outcomes[i] = RequestError(
                        f"self mode: scored token {j} (id {targets[i][j]}) is not the argmax of its distribution "
                        f"(id {int(scored[j].argmax())}, logit gap {float(gap[j]):.3g}); stage 1 and stage 2 disagree "
                        f"({self.versions})")
                    continue
            text = self.tokenizer.decode(targets[i], skip_special_tokens=True)
            outcomes[i] = Scored(targets[i], text, scored.numpy())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), required=True)
    parser.add_argument("--model", required=True, help="local weights folder (config, processor, *.safetensors)")
    parser.add_argument("--model-id", help="name reported in the hello (default: ARCH:FOLDER-NAME); versions are appended")
    parser.add_argument("--weights-sha256", help="precomputed folder digest (default: computed, see above)")
    parser.add_argument("--device", help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], help="default: bfloat16 on cuda, float32 on cpu")
    parser.add_argument("--max-batch", type=int, default=16, help="most items scored per forward pass (default 16)")
    args = parser.parse_args()
    if not os.path.isdir(args.model):
        raise SystemExit(f"hf_lalm: weights folder '{args.model}' does not exist (this worker never downloads)")
    if args.max_batch < 1:
        raise SystemExit("hf_lalm: --max-batch must be at least 1")
    weights = args.weights_sha256 or folder_digest(args.model)
    backend = HFBackend(args.arch, args.model, args.device, args.dtype)
    name = args.model_id or f"{args.arch}:{os.path.basename(os.path.normpath(args.model))}"
    hello = {"type": "hello", "protocol": PROTOCOL, "model_id": f"{name} ({backend.versions})",
             "weights_sha256": weights, "vocab_size": backend.vocab_size, "accepts_prompt": True,
             "code_sha256": code_digest(__file__), "max_batch": args.max_batch}
    serve(backend, hello, audio_options={"max_seconds": backend.max_seconds, "limit_reason": backend.limit_reason},
          log_name="hf_lalm")


if __name__ == "__main__":
    main()
