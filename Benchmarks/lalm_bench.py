#!/usr/bin/env python3
"""lalm-bench: items/s of workers/hf_lalm.py at batch sizes 1, 4, 8, 16 (score_batch requests).

For each architecture, builds a random model with workers/make_tiny_lalm.py (tiny: hidden 32, 2 layers;
realistic: a hidden-1024, 8-layer text model), starts the worker once, warms it up, then for each batch
size sends the same ITEMS requests (seeded 5 s noise clips, mode self, max_new_tokens 16) as score_batch
requests of that size and times from the first request to the last reply. Prints one line per
(architecture, batch size) and the ratio of batch 16 to batch 1; --json adds a JSON summary line.

CPU (tiny models):  .venv/bin/python Benchmarks/lalm_bench.py
GPU (bfloat16):     .venv/bin/python Benchmarks/lalm_bench.py --size realistic --device cuda --dtype bfloat16 --items 64
(the environment needs torch with CUDA and transformers 5.25+; nothing is downloaded.)
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.normpath(os.path.join(HERE, "..", "workers"))
sys.path.insert(0, WORKERS)


def requests(count, seconds=5.0, rate=16000):
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        samples = (0.1 * rng.standard_normal(int(seconds * rate))).astype("<f4")
        out.append({"type": "score", "id": f"item-{i}", "pcm_f32_b64": base64.b64encode(samples.tobytes()).decode(),
                    "sample_rate": rate, "prompt": "Transcribe the input speech.", "mode": "self", "max_new_tokens": 16})
    return out


def run_batches(worker, items, batch):
    started = time.perf_counter()
    errors = 0
    for start in range(0, len(items), batch):
        chunk = items[start: start + batch]
        line = json.dumps(chunk[0] if batch == 1 else {"type": "score_batch", "requests": chunk})
        worker.stdin.write(line + "\n")
        worker.stdin.flush()
        for _ in chunk:
            errors += json.loads(worker.stdout.readline())["type"] == "error"
    return time.perf_counter() - started, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", help="architecture (repeatable; default: all)")
    parser.add_argument("--size", choices=["tiny", "realistic"], default="tiny")
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--batches", default="1,4,8,16")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import make_tiny_lalm
    import torch
    archs = args.arch or list(make_tiny_lalm.ARCHS)
    batches = [int(b) for b in args.batches.split(",")]
    device = args.device
    card = torch.cuda.get_device_name(0) if device.startswith("cuda") else f"CPU ({os.cpu_count()} cores visible, torch threads {torch.get_num_threads()})"
    print(f"lalm-bench: {args.size} models, {args.items} items of 5 s, max_new_tokens 16, {args.dtype} on {card}")
    items = requests(args.items)
    summary = []
    with tempfile.TemporaryDirectory() as scratch:
        for arch in archs:
            folder = make_tiny_lalm.build(arch, os.path.join(scratch, arch), size=args.size)
            worker = subprocess.Popen([sys.executable, os.path.join(WORKERS, "hf_lalm.py"), "--arch", arch, "--model", folder,
                                       "--device", device, "--dtype", args.dtype, "--max-batch", str(max(batches))],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            hello = json.loads(worker.stdout.readline())
            assert hello["type"] == "hello", hello
            run_batches(worker, items[: max(batches)], max(batches))  # warm-up (allocator, kernels)
            rates = {}
            for batch in batches:
                seconds, errors = run_batches(worker, items, batch)
                rates[batch] = len(items) / seconds
                print(f"  {arch:15s} batch {batch:2d}: {rates[batch]:8.2f} items/s  ({seconds:.2f} s, {errors} errors)")
            worker.stdin.write('{"type":"shutdown"}\n')
            worker.stdin.flush()
            worker.wait()
            ratio = rates[batches[-1]] / rates[batches[0]]
            print(f"  {arch:15s} batch {batches[-1]} / batch {batches[0]}: {ratio:.2f}x")
            summary.append({"arch": arch, "items_per_s": rates, "ratio": ratio})
    if args.json:
        print(json.dumps({"size": args.size, "device": card, "dtype": args.dtype, "results": summary}))


if __name__ == "__main__":
    main()
