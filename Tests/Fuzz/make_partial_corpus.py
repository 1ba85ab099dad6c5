#!/usr/bin/env python3
"""Writes the seed corpus of the `partial` fuzz target (Tests/Fuzz/Corpus/partial/)
with the calib built from this tree, so that the seeds follow the part format:

- binary_part: the part of a 300-row binary audit;
- binary_body: the same part's body alone (the target wraps it in a valid
  header and checksum, so the fuzzer reaches the section readers);
- multiclass_segments_part: a 200-row multiclass logit audit with 3 segments;
- bootstrap_part: a 100-row binary audit with one bootstrap replicate;
- softtarget_part: a 100-row audit with soft targets;
- multilabel_part: a 100-row multi-label audit (--multilabel) with one bootstrap replicate;
- future_version: a header that announces a later format version.

The first byte of each seed is the target's option byte (1: wrap the body).
Run after a change to the format: python3 Tests/Fuzz/make_partial_corpus.py [path to calib]
"""
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fuzz", "Corpus", "partial")


def part(calib, text, suffix, *flags):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return subprocess.run([calib, "audit", path, "--partial-out", "-", *flags],
                              check=True, capture_output=True).stdout
    finally:
        os.unlink(path)


def head(path, lines):
    with open(os.path.join(ROOT, path)) as f:
        return "".join(f.readline() for _ in range(lines))


def main():
    calib = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "calib")
    binary = part(calib, head("SampleData/fraud_transactions.csv", 301), ".csv", "--bootstrap", "0")
    # The container: magic (8), version (4), body length (8), body, checksum (8).
    assert binary[:8] == b"CALIBPRT"
    body = binary[20:-8]
    news = "".join('{"region": "r%d", ' % (i % 3) + line[1:] for i, line in enumerate(head("SampleData/news_topics_logits.jsonl", 200).splitlines(True)))
    multiclass = part(calib, news, ".jsonl", "--group", "region", "--bootstrap", "0")
    bootstrap = part(calib, head("SampleData/fraud_transactions.csv", 101), ".csv", "--bootstrap", "1")
    soft = part(calib, head("SampleData/distillation/digits_distillation.csv", 101), ".csv", "--bootstrap", "0")
    multilabel = part(calib, head("SampleData/multilabel/spam_categories.csv", 101), ".csv", "--multilabel", "--bootstrap", "1")
    # A later version than the one this calib writes.
    future = struct.unpack("<I", binary[8:12])[0] + 1
    seeds = {
        "binary_part": b"\x00" + binary,
        "binary_body": b"\x01" + body,
        "multiclass_segments_part": b"\x00" + multiclass,
        "bootstrap_part": b"\x00" + bootstrap,
        "softtarget_part": b"\x00" + soft,
        "multilabel_part": b"\x00" + multilabel,
        "future_version": b"\x00" + b"CALIBPRT" + struct.pack("<I", future),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
