"""Times librosa's full acoustic feature set — the reference for Earshot's `AcousticDescriptors`.

Usage (one thread, from the repository root):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
        .bench-venv/bin/python Benchmarks/acoustic_reference.py FILE.wav [FILE.wav ...]

Each file is loaded with `librosa.load(sr=16000, res_type='soxr_hq')` (not timed); then MFCC (13 of 40
Slaney mel bands, n_fft 512, hop 160), spectral centroid, bandwidth and rolloff, RMS and ZCR (frame 512) and
YIN (50–500 Hz, frame 1024) are computed with the same parameters as AcousticDescriptors' defaults and timed
together (each librosa function computes its own STFT, as a librosa user would call them). A warm-up call on
one second of audio first keeps numba's JIT compilation out of the timing. Prints one JSON line; `compute_seconds` is
the main thread's CPU time (`time.thread_time`, robust to other load), `wall_seconds` the elapsed time.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402

SR = 16000


def feature_set(y):
    kw = dict(n_fft=512, hop_length=160)
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13, n_mels=40, fmin=0.0, fmax=8000.0, **kw)
    centroid = librosa.feature.spectral_centroid(y=y, sr=SR, **kw)
    bandwidth = librosa.feature.spectral_bandwidth(y=y, sr=SR, **kw)
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=SR, roll_percent=0.85, **kw)
    rms = librosa.feature.rms(y=y, frame_length=512, hop_length=160)
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=512, hop_length=160)
    f0 = librosa.yin(y, fmin=50, fmax=500, sr=SR, frame_length=1024, hop_length=160)
    return mfcc, centroid, bandwidth, rolloff, rms, zcr, f0


def main(paths):
    warnings.simplefilter("ignore")
    feature_set(np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1)
    compute = 0.0
    wall = 0.0
    audio = 0.0
    for path in paths:
        y, _ = librosa.load(path, sr=SR, res_type="soxr_hq")
        audio += y.size / SR
        start, start_wall = time.thread_time(), time.perf_counter()
        feature_set(y)
        compute += time.thread_time() - start
        wall += time.perf_counter() - start_wall
    print(json.dumps({"tool": "librosa", "version": librosa.__version__, "task": "acoustic",
                      "audio_seconds": audio, "compute_seconds": compute, "wall_seconds": wall,
                      "seconds_per_audio_hour": compute / audio * 3600}))


if __name__ == "__main__":
    main(sys.argv[1:])
