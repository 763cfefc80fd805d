"""The request's audio: decoded, mixed to mono, resampled to the model's rate, checked."""
import base64

import numpy as np

SAMPLE_RATE = 16000


class AudioError(ValueError):
    """The request's audio cannot be used; the message names the reason."""


def load_audio(request, sample_rate=SAMPLE_RATE, max_seconds=None, limit_reason=""):
    """float32 mono samples at `sample_rate` from `audio_path` (any file soundfile reads) or inline
    `pcm_f32_b64` + `sample_rate`. Rejects unreadable, non-finite and empty audio, and audio longer
    than `max_seconds` (with a message naming the duration, the limit and `limit_reason`)."""
    if "audio_path" in request:
        import soundfile
        path = request["audio_path"]
        try:
            audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
        except Exception as error:  # soundfile raises several types for unreadable files
            raise AudioError(f"cannot read audio '{path}': {error}")
        audio = audio.mean(axis=1)
    elif "pcm_f32_b64" in request:
        rate = request.get("sample_rate")
        if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
            raise AudioError(f"sample_rate must be a positive integer, got {rate!r}")
        try:
            raw = base64.b64decode(request["pcm_f32_b64"], validate=True)
        except Exception as error:
            raise AudioError(f"pcm_f32_b64 is not base64: {error}")
        if len(raw) % 4:
            raise AudioError(f"pcm_f32_b64 holds {len(raw)} bytes, not a whole number of float32 samples")
        audio = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    else:
        raise AudioError("the request has neither 'audio_path' nor 'pcm_f32_b64'")
    if len(audio) == 0:
        raise AudioError("the audio is empty")
    if not np.all(np.isfinite(audio)):
        raise AudioError("the audio contains NaN or infinite samples")
    if rate != sample_rate:
        import soxr
        audio = soxr.resample(audio, rate, sample_rate, quality="HQ")
    duration = len(audio) / sample_rate
    if max_seconds is not None and duration > max_seconds:
        raise AudioError(f"the audio lasts {duration:.2f} s; this model takes at most {max_seconds:g} s"
                         f"{' (' + limit_reason + ')' if limit_reason else ''}; cut it into shorter items")
    return np.ascontiguousarray(audio, dtype=np.float32)
