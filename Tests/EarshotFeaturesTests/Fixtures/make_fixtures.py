"""Golden fixtures for EarshotFeaturesTests (AcousticDescriptors against librosa 0.11).

Re-run from the repository root:
    bash scripts/bench-env.sh && .bench-venv/bin/python Tests/EarshotFeaturesTests/Fixtures/make_fixtures.py

Writes 16 kHz PCM-16 WAV signals (speech from espeak-ng, tones, chirp, noise, silence, constant, clipping,
a clip shorter than n_fft) and `<name>.json` with librosa's frame-wise outputs for the decoded float32
samples (promoted to float64, so the reference is computed in double precision), the YIN voicing flags
(frames with a cumulative-mean-normalised-difference trough below the threshold, from librosa's own
internals), and the pooled vector as AcousticDescriptors documents it (numpy mean, np.std, np.percentile), and
`mel_filterbank.json` with the non-zero weights of `librosa.filters.mel` for the default parameters.
"""
import json
import pathlib
import subprocess
import tempfile

import librosa
import numpy as np
import soundfile as sf
from librosa.core.pitch import _cumulative_mean_normalized_difference

HERE = pathlib.Path(__file__).resolve().parent
SR = 16000
P = dict(n_fft=512, hop_length=160, n_mels=40, n_mfcc=13, fmin=0.0, fmax=8000.0, frame_length=512,
         pitch_frame_length=1024, pitch_fmin=50.0, pitch_fmax=500.0, trough_threshold=0.1, roll_percent=0.85)
RNG = np.random.default_rng(7)


def signals():
    t = lambda seconds: np.arange(int(seconds * SR)) / SR
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), "Who was a member of the training set?"], check=True)
        speech, _ = librosa.load(raw, sr=SR, res_type="soxr_hq")
    x = t(0.5)
    return {
        "speech": speech,
        "tone_220": 0.5 * np.sin(2 * np.pi * 220 * x) + 0.1 * np.sin(2 * np.pi * 440 * x),
        "chirp": 0.5 * librosa.chirp(fmin=100, fmax=1000, sr=SR, length=int(0.75 * SR)),
        "noise": 0.1 * RNG.standard_normal(int(0.5 * SR)),
        "silence": np.zeros(int(0.25 * SR)),
        "constant": np.full(int(0.25 * SR), 0.25),
        "clipped": np.clip(3.0 * np.sin(2 * np.pi * 150 * x), -1.0, 1.0),
        "short": 0.5 * np.sin(2 * np.pi * 300 * np.arange(300) / SR),
    }


def voicing(y):
    """Per-frame flag: does librosa.yin take its threshold branch? (Same steps as librosa.yin.)"""
    w = P["pitch_frame_length"]
    yp = np.pad(y, (w // 2, w // 2), mode="constant")
    frames = librosa.util.frame(yp, frame_length=w, hop_length=P["hop_length"])
    min_period = int(np.floor(SR / P["pitch_fmax"]))
    max_period = min(int(np.ceil(SR / P["pitch_fmin"])), w - 1)
    cmnd = _cumulative_mean_normalized_difference(frames, min_period, max_period)
    trough = librosa.util.localmin(cmnd, axis=-2)
    trough[0, :] = cmnd[0, :] < cmnd[1, :]
    return np.any(trough & (cmnd < P["trough_threshold"]), axis=0)


def pool(rows, f0, voiced):
    names, values = [], []
    def add(name, row):
        row = np.asarray(row, dtype=np.float64)
        stats = [0.0] * 5 if row.size == 0 else [
            np.mean(row), np.std(row), np.percentile(row, 10), np.percentile(row, 50), np.percentile(row, 90)]
        for suffix, v in zip(["mean", "std", "p10", "p50", "p90"], stats):
            names.append(f"{name}_{suffix}")
            values.append(float(v))
    for c, row in enumerate(rows["mfcc"]):
        add(f"mfcc_{c}", row)
    for key in ["centroid", "bandwidth", "rolloff", "rms", "zcr"]:
        add(key, rows[key])
    add("pitch", f0[voiced])
    names.append("pitch_voiced_fraction")
    values.append(float(np.mean(voiced)))
    return names, values


def features(y):
    kw = dict(n_fft=P["n_fft"], hop_length=P["hop_length"])
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=P["n_mfcc"], n_mels=P["n_mels"], fmin=P["fmin"],
                                fmax=P["fmax"], **kw)
    centroid = librosa.feature.spectral_centroid(y=y, sr=SR, **kw)[0]
    bandwidth = librosa.feature.spectral_bandwidth(y=y, sr=SR, **kw)[0]
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=SR, roll_percent=P["roll_percent"], **kw)[0]
    rms = librosa.feature.rms(y=y, frame_length=P["frame_length"], hop_length=P["hop_length"], dtype=np.float64)[0]
    rms32 = librosa.feature.rms(y=y, frame_length=P["frame_length"], hop_length=P["hop_length"])[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=P["frame_length"], hop_length=P["hop_length"])[0]
    f0 = librosa.yin(y, fmin=P["pitch_fmin"], fmax=P["pitch_fmax"], sr=SR, frame_length=P["pitch_frame_length"],
                     hop_length=P["hop_length"], trough_threshold=P["trough_threshold"])
    voiced = voicing(y)
    rows = dict(mfcc=mfcc, centroid=centroid, bandwidth=bandwidth, rolloff=rolloff, rms=rms, zcr=zcr)
    names, values = pool(rows, f0, voiced)
    as_list = lambda a: [float(v) for v in np.ravel(a)]
    return {
        "parameters": P, "sample_rate": SR, "librosa": librosa.__version__,
        "sample_count": int(y.size), "frame_count": int(mfcc.shape[1]),
        "mfcc": [as_list(r) for r in mfcc], "centroid": as_list(centroid), "bandwidth": as_list(bandwidth),
        "rolloff": as_list(rolloff), "rms": as_list(rms), "rms_librosa_float32": as_list(rms32),
        "zcr": as_list(zcr), "f0": as_list(f0), "voiced": [bool(v) for v in voiced],
        "pooled_names": names, "pooled_values": values,
    }


def mel_filterbank():
    """Non-zero entries of librosa.filters.mel for the default parameters (float32 weights)."""
    basis = librosa.filters.mel(sr=SR, n_fft=P["n_fft"], n_mels=P["n_mels"], fmin=P["fmin"], fmax=P["fmax"])
    bands, bins = np.nonzero(basis)
    entries = [[int(m), int(k), float(basis[m, k])] for m, k in zip(bands, bins)]
    (HERE / "mel_filterbank.json").write_text(json.dumps({"shape": list(basis.shape), "entries": entries}) + "\n")


def main():
    mel_filterbank()
    for name, y in signals().items():
        path = HERE / f"{name}.wav"
        sf.write(path, np.asarray(y, dtype=np.float32), SR, subtype="PCM_16")
        decoded, sr = sf.read(path, dtype="float32")
        assert sr == SR
        record = features(decoded.astype(np.float64))
        (HERE / f"{name}.json").write_text(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
