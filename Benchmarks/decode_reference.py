"""Times `librosa.load(path, sr=16000, res_type='soxr_hq')` — the reference for Earshot's `AudioLoader.load`.

Usage (one thread, from the repository root):
    OMP_NUM_THREADS=1 .bench-venv/bin/python Benchmarks/decode_reference.py FILE [FILE ...]

Decodes and resamples every file once after one untimed warm-up load of the first file (so imports and
library loading are not counted), and prints one JSON line with the total and per-audio-hour time
(`compute_seconds` is the main thread's CPU time, `time.thread_time`; `wall_seconds` the elapsed time).
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import librosa  # noqa: E402


def main(paths):
    librosa.load(paths[0], sr=16000, res_type="soxr_hq", duration=1.0)
    compute = 0.0
    wall = 0.0
    audio = 0.0
    for path in paths:
        start, start_wall = time.thread_time(), time.perf_counter()
        y, _ = librosa.load(path, sr=16000, res_type="soxr_hq")
        compute += time.thread_time() - start
        wall += time.perf_counter() - start_wall
        audio += librosa.get_duration(path=path)
    print(json.dumps({"tool": "librosa", "version": librosa.__version__, "task": "decode_resample",
                      "audio_seconds": audio, "compute_seconds": compute, "wall_seconds": wall,
                      "seconds_per_audio_hour": compute / audio * 3600}))


if __name__ == "__main__":
    main(sys.argv[1:])
