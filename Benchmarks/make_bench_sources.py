"""Generates the 100,000-row sources `data-bench sources` times (run by it; numpy + pyarrow from the project venv).

    python Benchmarks/make_bench_sources.py OUT

OUT/hf/data/{train,test}-NNNNN-of-00010.parquet: 50,000 rows per split in 10 shards (zstd, row groups of 1,000),
  columns id, audio {bytes: a 0.1 s 8 kHz 16-bit WAV, unique per row; path}, text, speaker_id.
OUT/lhotse/bench_{recordings,supervisions}_{train,test}.jsonl.gz: per split 50 recordings of 60 s (8 kHz 16-bit
  WAV under OUT/lhotse/audio/) and 50,000 supervisions of 0.5 s (1,000 per recording, overlapping).
"""
import gzip
import io
import json
import os
import struct
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = sys.argv[1]
RATE = 8000
WORDS = "the quick brown fox jumps over a lazy dog while seven small birds sing in grey morning light".split()


def wav_bytes(samples):
    data = samples.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, RATE, RATE * 2, 2, 16)
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt))
            + fmt + b"data" + struct.pack("<I", len(data)) + data)


def text(i):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4 + i % 6))


def parquet():
    rng = np.random.default_rng(1)
    folder = os.path.join(OUT, "hf", "data")
    os.makedirs(folder, exist_ok=True)
    t = np.arange(int(RATE * 0.1)) / RATE
    audio_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    for split in ("train", "test"):
        for shard in range(10):
            ids, audio, texts, speakers = [], [], [], []
            for r in range(5000):
                i = shard * 5000 + r + (0 if split == "train" else 50000)
                tone = 3000 * np.sin(2 * np.pi * (150 + i % 500) * t) + rng.normal(0, 300, t.size)
                uid = f"{split}-{i:06d}"
                ids.append(uid)
                audio.append({"bytes": wav_bytes(tone), "path": uid + ".wav"})
                texts.append(text(i))
                speakers.append(f"spk{i % 400}")
            table = pa.table({"id": ids, "audio": pa.array(audio, type=audio_type), "text": texts, "speaker_id": speakers})
            pq.write_table(table, os.path.join(folder, f"{split}-{shard:05d}-of-00010.parquet"), compression="zstd", row_group_size=1000)


def lhotse():
    rng = np.random.default_rng(2)
    folder = os.path.join(OUT, "lhotse")
    os.makedirs(os.path.join(folder, "audio"), exist_ok=True)
    t = np.arange(RATE * 60) / RATE
    for split in ("train", "test"):
        recordings, supervisions = [], []
        for r in range(50):
            rid = f"{split}-rec{r:03d}"
            signal = 3000 * np.sin(2 * np.pi * (120 + 3 * r) * t) + rng.normal(0, 300, t.size)
            with open(os.path.join(folder, "audio", rid + ".wav"), "wb") as f:
                f.write(wav_bytes(signal))
            recordings.append({"id": rid, "sources": [{"type": "file", "channels": [0], "source": f"audio/{rid}.wav"}],
                               "sampling_rate": RATE, "num_samples": RATE * 60, "duration": 60.0, "channel_ids": [0]})
            for s in range(1000):
                i = r * 1000 + s
                supervisions.append({"id": f"{rid}-{s:04d}", "recording_id": rid, "start": round(s * 0.0595, 4), "duration": 0.5,
                                     "channel": 0, "text": text(i), "speaker": f"{split}-spk{i % 300}"})
        for kind, rows in (("recordings", recordings), ("supervisions", supervisions)):
            with gzip.open(os.path.join(folder, f"bench_{kind}_{split}.jsonl.gz"), "wt") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    parquet()
    lhotse()
