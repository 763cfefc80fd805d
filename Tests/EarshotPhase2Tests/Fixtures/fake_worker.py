#!/usr/bin/env python3
"""A fake Earshot scoring worker (protocol v1) for tests: python3 standard library only.

Statistics are deterministic functions of the item id (a softmax over a 16-token vocabulary whose logits
come from SHA-256 of the id and the step), so two runs give identical replies. Flags make it misbehave:

  --log FILE          append each received request id to FILE (one per line) before answering
  --delay S           sleep S seconds per item
  --crash-on ID       exit with status 3 (after a line on stderr) when asked to score ID
  --crash-once FILE   with --crash-on: crash only if FILE does not exist yet (it is then created)
  --env-log FILE      append "CUDA_VISIBLE_DEVICES=<value>" to FILE when the worker starts
  --crash-unless FILE with --crash-on: crash only while FILE does not exist (the test creates it to fix the worker)
  --malformed-on ID   answer ID with a line that is not valid JSON (a NaN literal)
  --hang-on ID        never answer ID
  --error-on ID       answer ID with an error reply
  --empty-on ID       answer ID with a result of zero tokens
  --model-id S / --weights HEX   the hello's identity
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

VOCAB = 16


def statistics(logits, chosen):
    m = max(logits)
    z = m + math.log(sum(math.exp(x - m) for x in logits))
    logp = [x - z for x in logits]
    p = [math.exp(v) for v in logp]
    clamp = [min(max(v, 1e-10), 1 - 1e-10) for v in p]
    top1 = max(logp)
    below = [v for v in logp if v != top1]
    return {
        "log_prob": logp[chosen],
        "entropy": -sum(a * b for a, b in zip(p, logp)),
        "expected_log_prob_sq": sum(a * b * b for a, b in zip(p, logp)),
        "renyi_0_5": 2 * math.log(sum(math.sqrt(v) for v in clamp)),
        "renyi_2": -math.log(sum(v * v for v in clamp)),
        "renyi_inf": -top1,
        "top1_log_prob": top1,
        "top2_log_prob": max(below) if below else top1,
    }


def result(item_id, empty):
    count = 0 if empty else 1 + len(item_id) % 5
    tokens, rows = [], []
    for step in range(count):
        digest = hashlib.sha256(f"{item_id}/{step}".encode()).digest()
        logits = [(b - 128) / 32.0 for b in digest[:VOCAB]]
        chosen = digest[VOCAB] % VOCAB
        tokens.append(chosen)
        rows.append(statistics(logits, chosen))
    keys = ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2", "renyi_inf",
            "top1_log_prob", "top2_log_prob"]
    stats = {k: [r[k] for r in rows] for k in keys}
    text = " ".join(f"w{t}" for t in tokens)
    return {"type": "result", "id": item_id, "tokens": tokens, "text": text, "stats": stats}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--crash-on")
    parser.add_argument("--crash-once")
    parser.add_argument("--crash-unless")
    parser.add_argument("--env-log")
    parser.add_argument("--malformed-on")
    parser.add_argument("--hang-on")
    parser.add_argument("--hold-on", help="item id that waits while --hold-file exists (a deterministic pause point)")
    parser.add_argument("--hold-file")
    parser.add_argument("--error-on")
    parser.add_argument("--empty-on")
    parser.add_argument("--model-id", default="fake-model/1")
    parser.add_argument("--weights", default=hashlib.sha256(b"fake weights").hexdigest())
    args = parser.parse_args()
    if args.env_log:
        with open(args.env_log, "a") as log:
            log.write(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}\n")

    def send(obj):
        sys.stdout.write(json.dumps(obj, allow_nan=False) + "\n")
        sys.stdout.flush()

    send({"type": "hello", "protocol": 1, "model_id": args.model_id, "weights_sha256": args.weights,
          "vocab_size": VOCAB, "accepts_prompt": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("type") == "shutdown":
            break
        item_id = request["id"]
        if args.log:
            with open(args.log, "a") as log:
                log.write(item_id + "\n")
        if args.delay:
            time.sleep(args.delay)
        if item_id == args.crash_on and not (args.crash_unless and os.path.exists(args.crash_unless)):
            if not args.crash_once or not os.path.exists(args.crash_once):
                if args.crash_once:
                    open(args.crash_once, "w").close()
                sys.stderr.write(f"fake worker: crashing on {item_id}\n")
                sys.stderr.flush()
                os._exit(3)
        if item_id == args.hang_on:
            time.sleep(3600)
        if item_id == args.hold_on and args.hold_file:
            while os.path.exists(args.hold_file):
                time.sleep(0.02)
        if item_id == args.malformed_on:
            sys.stdout.write('{"type":"result","id":"%s","tokens":[1],"text":"x","stats":{"log_prob":[NaN]}}\n' % item_id)
            sys.stdout.flush()
            continue
        if item_id == args.error_on:
            send({"type": "error", "id": item_id, "message": f"cannot read audio for {item_id}"})
            continue
        send(result(item_id, item_id == args.empty_on))


if __name__ == "__main__":
    main()
