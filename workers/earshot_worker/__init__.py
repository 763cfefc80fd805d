"""Shared library of Earshot's Python scorer workers (schemas/worker-protocol.md, protocol v1).

  protocol   the request loop (`serve`), request checks, replies, `score_batch` handling
  audio      decoding, mixing to mono, resampling to 16 kHz, duration limits
  stats      the eight per-token statistics from a logits matrix
  identity   digests of a model folder (every file that can change outputs) and of the code a worker runs

Every module here is hashed into the hello's `code_sha256` (identity.code_digest), which enters node keys.
"""
