"""Golden fixtures for EarshotAudioTests (decode, downmix, resample, decode errors).

Re-run from the repository root:
    bash scripts/bench-env.sh && .bench-venv/bin/python Tests/EarshotAudioTests/Fixtures/make_fixtures.py

Needs espeak-ng on PATH, librosa 0.11, python-soundfile (libsndfile 1.2.2 with MP3 write support) and
python-soxr. Writes small audio files next to this script plus `reference_<name>.json` for every decodable
file: python-soundfile's header info, checksums of the native-rate mono decode (`librosa.load(sr=None)`),
and `librosa.load(sr=16000, res_type='soxr_hq')` as base64 little-endian float32.
"""
import base64
import json
import pathlib
import subprocess
import tempfile

import librosa
import numpy as np
import soundfile as sf

HERE = pathlib.Path(__file__).resolve().parent
RNG = np.random.default_rng(20240611)


def speech_22050():
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), "Earshot hears membership."], check=True)
        y, sr = sf.read(raw, dtype="float32")
    assert sr == 22050, sr
    sf.write(HERE / "speech_22050.wav", y, sr, subtype="PCM_16")


def tone_8000():
    t = np.arange(int(0.6 * 8000)) / 8000
    y = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1320 * t)
    sf.write(HERE / "tone_8000.wav", y.astype(np.float32), 8000, subtype="PCM_16")


def chirp_44100_3ch():
    sr = 44100
    n = int(0.3 * sr)
    chirp = 0.6 * librosa.chirp(fmin=200, fmax=4000, sr=sr, length=n)
    noise = 0.2 * RNG.standard_normal(n)
    tone = 0.4 * np.sin(2 * np.pi * 1000 * np.arange(n) / sr)
    y = np.stack([chirp, noise, tone], axis=1).astype(np.float32)
    sf.write(HERE / "chirp_44100_3ch.wav", y, sr, subtype="PCM_24")


def noise_48000_flac():
    y = np.clip(0.25 * RNG.standard_normal(int(0.4 * 48000)), -1, 1).astype(np.float32)
    sf.write(HERE / "noise_48000.flac", y, 48000, subtype="PCM_16")


def tone_22050_ogg():
    t = np.arange(int(0.5 * 22050)) / 22050
    y = (0.5 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    sf.write(HERE / "tone_22050.ogg", y, 22050, format="OGG", subtype="VORBIS")


def tone_44100_mp3():
    t = np.arange(int(0.5 * 44100)) / 44100
    y = (0.5 * np.sin(2 * np.pi * 523.25 * t)).astype(np.float32)
    sf.write(HERE / "tone_44100.mp3", y, 44100, format="MP3", subtype="MPEG_LAYER_III")


def broken_files():
    y = np.linspace(-0.5, 0.5, 100, dtype=np.float32)
    y[37] = np.nan
    sf.write(HERE / "nan_float32.wav", y, 16000, subtype="FLOAT")
    z = np.linspace(-0.5, 0.5, 100, dtype=np.float32)
    z[5] = np.inf
    sf.write(HERE / "inf_float32.wav", z, 16000, subtype="FLOAT")
    sf.write(HERE / "empty.wav", np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    garbage = bytes(RNG.integers(0, 256, 4096, dtype=np.uint8))
    (HERE / "corrupt.flac").write_bytes(garbage)


def b64(x):
    return base64.b64encode(np.asarray(x, dtype="<f4").tobytes()).decode("ascii")


def reference(name):
    path = HERE / name
    info = sf.info(path)
    native, native_sr = librosa.load(path, sr=None, mono=True)
    resampled, _ = librosa.load(path, sr=16000, mono=True, res_type="soxr_hq")
    record = {
        "file": name,
        "sample_rate": info.samplerate,
        "channels": info.channels,
        "format": info.format,
        "subtype": info.subtype,
        "frames": int(native.shape[0]),
        "native_sum": float(np.sum(native, dtype=np.float64)),
        "native_sum_squares": float(np.sum(native.astype(np.float64) ** 2)),
        "native_head": [float(v) for v in native[:64]],
        "resampled_length": int(resampled.shape[0]),
        "resampled_f32_b64": b64(resampled),
        "librosa": librosa.__version__,
    }
    stem = path.stem + "_" + path.suffix.lstrip(".")
    (HERE / f"reference_{stem}.json").write_text(json.dumps(record, indent=1) + "\n")


def main():
    speech_22050()
    tone_8000()
    chirp_44100_3ch()
    noise_48000_flac()
    tone_22050_ogg()
    tone_44100_mp3()
    broken_files()
    for name in ["speech_22050.wav", "tone_8000.wav", "chirp_44100_3ch.wav", "noise_48000.flac",
                 "tone_22050.ogg", "tone_44100.mp3"]:
        reference(name)


if __name__ == "__main__":
    main()
