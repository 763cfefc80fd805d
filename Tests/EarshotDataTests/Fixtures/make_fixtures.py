"""Writes the EarshotData test fixtures (tiny audio files and the listings that name them).

Re-run from the repository root (deterministic; overwrites the fixture folders):
    .venv/bin/python Tests/EarshotDataTests/Fixtures/make_fixtures.py

Layout (all audio is synthetic: a per-speaker tone plus seeded noise, 0.08-0.9 s):
- LibriSpeech/train-mini/SPEAKER/CHAPTER/{SPEAKER-CHAPTER-NNNN.flac, SPEAKER-CHAPTER.trans.txt}: speakers 19, 26, 32
  (16 kHz FLAC); LibriSpeech/test-mini/: speakers 19 and 61 (speaker 19 on both sides, for same_speakers).
- nemo/manifest.jsonl + nemo/wavs/*.wav: 12 items, NeMo columns plus 'member' (1/0) and 'speaker'; rates 8000,
  16000 and 22050 Hz; relative paths. nemo/manifest.csv and nemo/manifest.tsv list the same items with other
  column names (path, sentence, client_id, is_member).
- kaldi/: wav.scp (2 FLAC recordings of 0.9 s at 8 kHz), segments (6 utterances), text, utt2spk.
- bad/: corrupt.flac (a FLAC header followed by garbage), empty.wav (a valid header, 0 frames), nan.wav
  (IEEE float32 samples, all NaN; written by hand), good_0.wav..good_5.wav (usable). Tests write their own manifests around these.
"""
import json
import os
import shutil
import struct

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240229)


def tone(rate, seconds, freq, amplitude=0.3):
    t = np.arange(int(round(rate * seconds))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t) + 0.003 * RNG.standard_normal(t.size)).astype(np.float32)


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


WORDS = ("the river ran past a quiet mill where seven old boats rested under grey willow trees "
         "while children counted stones and singing birds crossed the morning sky").split()


def sentence(n):
    return " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(4 + n % 5)).upper()


def librispeech():
    for subset, speakers in (("train-mini", {19: 198, 26: 495, 32: 21}), ("test-mini", {19: 227, 61: 70968})):
        root = fresh(os.path.join("LibriSpeech", subset))
        n = 0
        for speaker, chapter in speakers.items():
            folder = os.path.join(root, str(speaker), str(chapter))
            os.makedirs(folder)
            lines = []
            for u in range(4):
                uid = f"{speaker}-{chapter}-{u:04d}"
                sf.write(os.path.join(folder, uid + ".flac"), tone(16000, 0.12 + 0.01 * u, 110 + speaker * 3), 16000,
                         subtype="PCM_16")
                lines.append(f"{uid} {sentence(n)}")
                n += 1
            with open(os.path.join(folder, f"{speaker}-{chapter}.trans.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")


def nemo():
    root = fresh("nemo")
    os.makedirs(os.path.join(root, "wavs"))
    records = []
    for i in range(12):
        rate = (8000, 16000, 22050)[i % 3]
        seconds = 0.08 + 0.005 * i
        name = f"wavs/utt{i:02d}.wav"
        sf.write(os.path.join(root, name), tone(rate, seconds, 200 + 20 * i), rate, subtype="PCM_16")
        records.append({"audio_filepath": name, "text": sentence(i).lower(), "duration": round(seconds, 4),
                        "speaker": f"spk{i % 4}", "member": 1 if i % 2 == 0 else 0})
    with open(os.path.join(root, "manifest.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(root, "manifest.csv"), "w") as f:
        f.write("path,sentence,client_id,is_member\n")
        for r in records:
            f.write(f'{r["audio_filepath"]},"{r["text"]}, indeed",{r["speaker"]},{r["member"]}\n')
    with open(os.path.join(root, "manifest.tsv"), "w") as f:
        f.write("client_id\tpath\tsentence\tis_member\n")
        for r in records:
            f.write(f'{r["speaker"]}\t{r["audio_filepath"]}\t{r["text"]}\t{r["member"]}\n')


def kaldi():
    root = fresh("kaldi")
    os.makedirs(os.path.join(root, "audio"))
    scp, segments, text, utt2spk = [], [], [], []
    for r, speaker in enumerate(("alice", "bob")):
        rec = f"rec{r}"
        signal = np.concatenate([tone(8000, 0.3, 300 + 100 * k + 40 * r) for k in range(3)])
        sf.write(os.path.join(root, "audio", rec + ".flac"), signal, 8000, subtype="PCM_16")
        scp.append(f"{rec} audio/{rec}.flac")
        for k in range(3):
            utt = f"{speaker}-{rec}-{k}"
            end = "-1" if k == 2 else f"{0.3 * (k + 1):.2f}"
            segments.append(f"{utt} {rec} {0.3 * k:.2f} {end}")
            text.append(f"{utt} {sentence(3 * r + k)}")
            utt2spk.append(f"{utt} {speaker}")
    for name, lines in (("wav.scp", scp), ("segments", segments), ("text", text), ("utt2spk", utt2spk)):
        with open(os.path.join(root, name), "w") as f:
            f.write("\n".join(lines) + "\n")


def bad():
    root = fresh("bad")
    for i in range(6):
        sf.write(os.path.join(root, f"good_{i}.wav"), tone(16000, 0.12 + 0.01 * i, 500 + 50 * i), 16000, subtype="PCM_16")
    with open(os.path.join(root, "corrupt.flac"), "wb") as f:
        f.write(b"fLaC" + RNG.integers(0, 256, 600, dtype=np.uint8).tobytes())
    sf.write(os.path.join(root, "empty.wav"), np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    # Written by hand: libsndfile's float WAVs carry a PEAK chunk with a timestamp, which would change every run.
    data = np.full(800, np.nan, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 16000 * 4, 4, 32)
    with open(os.path.join(root, "nan.wav"), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)


if __name__ == "__main__":
    librispeech()
    nemo()
    kaldi()
    bad()
