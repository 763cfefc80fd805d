"""The worker side of the protocol: hello, then one reply line per request, in order.

Requests: `score` (one item), `score_batch` ({"type":"score_batch","requests":[score, ...]}, answered by
one reply line per item, in order; sent only to workers whose hello has `max_batch` > 1) and `shutdown`.
A backend implements `score(items)`: a list of checked `Item`s → a list, one entry per item, of
`Scored(tokens, text, logits [T, V])` or an exception (a `RequestError` becomes that item's error reply).
"""
import json
import sys
import time
from dataclasses import dataclass

from .audio import AudioError, load_audio
from .stats import STAT_NAMES, StatisticsError, token_statistics

PROTOCOL = 1


class RequestError(Exception):
    """A request this worker cannot score; becomes an error reply and the worker keeps serving."""


@dataclass
class Item:
    id: str
    audio: object  # float32 mono samples at the backend's rate
    prompt: str
    mode: str  # "self" or "reference"
    max_new_tokens: int
    transcript: str | None


@dataclass
class Scored:
    tokens: list
    text: str
    logits: object  # [len(tokens), V] float array


def check_request(request, audio_options, max_new_tokens_limit=None):
    """An `Item` from a `score` request, or RequestError naming what is wrong."""
    mode = request.get("mode")
    if mode not in ("self", "reference"):
        raise RequestError(f"mode must be 'self' or 'reference', got {mode!r}")
    limit = request.get("max_new_tokens")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1 or (
            max_new_tokens_limit is not None and limit > max_new_tokens_limit):
        bound = f" in 1...{max_new_tokens_limit}" if max_new_tokens_limit else " ≥ 1"
        raise RequestError(f"max_new_tokens must be an integer{bound}, got {limit!r}")
    transcript = request.get("transcript")
    if mode == "reference" and not isinstance(transcript, str):
        raise RequestError("mode 'reference' needs a string transcript")
    if mode == "self" and transcript is not None:
        raise RequestError("mode 'self' takes no transcript")
    prompt = request.get("prompt", "")
    if not isinstance(prompt, str):
        raise RequestError(f"prompt must be a string, got {type(prompt).__name__}")
    try:
        audio = load_audio(request, **audio_options)
    except AudioError as error:
        raise RequestError(str(error))
    return Item(request["id"], audio, prompt, mode, limit, transcript)


def result_message(item_id, scored, vocab_size):
    if any(t < 0 or t >= vocab_size for t in scored.tokens):
        raise RequestError("a scored token id is outside the vocabulary")
    if scored.tokens:
        try:
            stats = token_statistics(scored.logits, scored.tokens)
        except StatisticsError as error:
            raise RequestError(str(error))
    else:
        stats = {name: [] for name in STAT_NAMES}
    # NUL cannot be stored (HDF5 strings end at it); a model that writes one gets U+FFFD in the text instead.
    return {"type": "result", "id": item_id, "tokens": [int(t) for t in scored.tokens],
            "text": scored.text.replace("\x00", "\ufffd"), "stats": stats}


def error_message(item_id, error):
    text = str(error) if isinstance(error, RequestError) else f"{type(error).__name__}: {error}"
    return {"type": "error", "id": item_id, "message": text}


def serve(backend, hello, audio_options=None, max_new_tokens_limit=None, log_name="worker",
          stdin=sys.stdin, stdout=sys.stdout):
    """Runs the session until `shutdown` or end of input."""
    audio_options = audio_options or {}

    def reply(message):
        stdout.write(json.dumps(message, ensure_ascii=False, allow_nan=False) + "\n")
        stdout.flush()

    def envelope_error(request):
        item_id = request.get("id")
        return {"type": "error", "id": item_id if isinstance(item_id, str) else None,
                "message": f"expected a 'score' request with a non-empty string id, got type {request.get('type')!r}"}

    def run(requests):
        """Replies to a list of score requests (one line each, in order), scoring the valid ones together."""
        started = time.perf_counter()
        replies, items = [None] * len(requests), []
        for i, request in enumerate(requests):
            item_id = request.get("id") if isinstance(request, dict) else None
            if not isinstance(request, dict) or request.get("type") != "score" or not isinstance(item_id, str) or not item_id:
                replies[i] = envelope_error(request if isinstance(request, dict) else {})
                continue
            try:
                items.append((i, check_request(request, audio_options, max_new_tokens_limit)))
            except RequestError as error:
                replies[i] = error_message(item_id, error)
        if items:
            try:
                outcomes = backend.score([item for _, item in items])
            except Exception:  # a failure of the batch as a whole: each item alone, so one bad item fails alone
                outcomes = []
                for _, item in items:
                    try:
                        outcomes.extend(backend.score([item]))
                    except Exception as error:
                        outcomes.append(error)
            for (i, item), outcome in zip(items, outcomes):
                try:
                    if isinstance(outcome, Exception):
                        raise outcome
                    replies[i] = result_message(item.id, outcome, hello["vocab_size"])
                except Exception as error:  # a model failure on one item must not end the session
                    replies[i] = error_message(item.id, error)
        for message in replies:
            reply(message)
        ids = ",".join(str(r.get("id")) for r in requests if isinstance(r, dict))
        print(f"{log_name}: {ids} {time.perf_counter() - started:.3f} s", file=sys.stderr, flush=True)

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
        if kind == "score_batch":
            batch = request.get("requests")
            if not isinstance(batch, list) or not batch:
                reply({"type": "error", "id": None, "message": "score_batch needs a non-empty 'requests' list"})
                continue
            run(batch)
        else:
            run([request])
