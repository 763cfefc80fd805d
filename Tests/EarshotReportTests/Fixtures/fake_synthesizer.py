#!/usr/bin/env python3
"""A stand-in TTS program speaking Earshot's synthesis protocol (schemas/synthesis-protocol.md), for tests.

Writes, for each request, a 16-bit mono WAV at the requested sample rate: a tone of 200 + (seed % 300) Hz
lasting 0.1 s per word of the text. Standard library only.

  python3 fake_synthesizer.py [--model-id ID] [--fail-on ITEM_ID] [--bad-hello] [--crash-on ITEM_ID] [--log FILE]
                            [--hang-on ITEM_ID --started FILE]
"""
import argparse, json, math, pathlib, struct, sys, time, wave

parser = argparse.ArgumentParser()
parser.add_argument("--model-id", default="fake-tts-1")
parser.add_argument("--fail-on", default=None)
parser.add_argument("--crash-on", default=None)
parser.add_argument("--bad-hello", action="store_true")
parser.add_argument("--log", default=None)
parser.add_argument("--hang-on", default=None)
parser.add_argument("--started", default=None)
args = parser.parse_args()

hello = {"protocol": "earshot-synthesis/0" if args.bad_hello else "earshot-synthesis/1",
         "model_id": args.model_id, "weights_sha256": "ab" * 32}
print(json.dumps(hello), flush=True)

for line in sys.stdin:
    request = json.loads(line)
    if request.get("type") == "shutdown":
        break
    if args.log:
        with open(args.log, "a") as log:
            log.write(json.dumps(request, sort_keys=True) + "\n")
    item = request["id"]
    if item == args.crash_on:
        print("fake synthesizer: crashing on purpose", file=sys.stderr, flush=True)
        sys.exit(3)
    if item == args.hang_on:
        # Says it is busy on this item (the test waits for this file), then never answers.
        pathlib.Path(args.started).write_text("busy")
        time.sleep(3600)
    if item == args.fail_on:
        print(json.dumps({"id": item, "error": "cannot speak this on purpose"}), flush=True)
        continue
    rate = int(request["sample_rate"])
    n = int(0.1 * rate * max(1, len(request["text"].split())))
    frequency = 200 + request["seed"] % 300
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate))) for i in range(n))
    with wave.open(request["out_path"], "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    print(json.dumps({"id": item, "ok": True}), flush=True)
