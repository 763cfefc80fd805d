"""Identity digests that enter node keys: the model folder's output-changing files, the worker's code."""
import hashlib
import os

# Files of a Hugging Face model folder that cannot change outputs (docs, licences, VCS metadata).
_INERT_SUFFIXES = (".md", ".txt.license", ".gitattributes", ".png", ".jpg", ".jpeg", ".gif", ".pdf")
_INERT_NAMES = {"LICENSE", "LICENSE.txt", "NOTICE", "README", "README.md", "USE_POLICY.md", ".gitattributes"}


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_digest(folder, extra_lines=()):
    """SHA-256 over the sorted lines "<relative path>\\t<file sha256>\\n" of every file under `folder` that
    can change outputs — weights, config.json, generation_config.json, tokenizer files, processor and
    feature-extractor configs, chat templates, custom code; everything but documentation, licences,
    images and dot-folders (.git, .cache) — followed by `extra_lines` (e.g. library versions)."""
    lines = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name in _INERT_NAMES or name.endswith(_INERT_SUFFIXES) or name.startswith("."):
                continue
            path = os.path.join(root, name)
            lines.append(f"{os.path.relpath(path, folder)}\t{file_sha256(path)}\n")
    if not lines:
        raise SystemExit(f"earshot worker: no model file under '{folder}'")
    text = "".join(sorted(lines)) + "".join(f"{line}\n" for line in extra_lines)
    return hashlib.sha256(text.encode()).hexdigest()


def code_digest(script):
    """SHA-256 over "<name>\\t<sha256>\\n" of the worker script and every module of this package, sorted:
    the hello's `code_sha256`, so a change to shared code changes the key of every node using it."""
    package = os.path.dirname(os.path.abspath(__file__))
    lines = [f"{os.path.basename(script)}\t{file_sha256(script)}\n"]
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            lines.append(f"earshot_worker/{name}\t{file_sha256(os.path.join(package, name))}\n")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()
