#!/usr/bin/env python3
"""Calls a protocol-v1 scoring worker directly, without Earshot, for scoring-bench's overhead figure.

Usage: python3 Benchmarks/worker_direct.py REQUESTS.jsonl -- WORKER ARGV...

Starts the worker, reads its hello, sends each request line of REQUESTS.jsonl and reads its reply (one at
a time, as Earshot does with one worker), sends shutdown and waits for the exit. Prints one JSON line:
{"items": N, "seconds": wall time from start to exit, "scoring_seconds": from hello to the last reply,
 "errors": replies of type error}.
"""
import json
import subprocess
import sys
import time


def main():
    split = sys.argv.index("--")
    requests_path, argv = sys.argv[1], sys.argv[split + 1:]
    with open(requests_path) as f:
        requests = [line.strip() for line in f if line.strip()]
    started = time.perf_counter()
    worker = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, bufsize=1)
    hello = json.loads(worker.stdout.readline())
    assert hello["type"] == "hello", hello
    scoring = time.perf_counter()
    errors = 0
    for line in requests:
        worker.stdin.write(line + "\n")
        worker.stdin.flush()
        reply = json.loads(worker.stdout.readline())
        errors += reply["type"] == "error"
    scored = time.perf_counter()
    worker.stdin.write('{"type":"shutdown"}\n')
    worker.stdin.flush()
    worker.wait()
    finished = time.perf_counter()
    print(json.dumps({"items": len(requests), "seconds": finished - started, "scoring_seconds": scored - scoring,
                      "errors": errors}))


if __name__ == "__main__":
    main()
