#!/usr/bin/env python3
"""End-to-end test of the Spark job (Sources/spark/calib_spark.py, SPEC section 14).

Writes a Parquet dataset of --rows rows (default 3,000,000: a weighted binary
task with a `region` segment column) in --files files, runs the job with
spark-submit on local[2] (several partitions), audits the same rows on one
machine as one CSV (the rows in the partitions' order, written by pyarrow as
the job writes them), and asserts that the two JSON reports agree: every count
equal, every value within 1e-12 relative (1e-14 absolute for differences of
probability-scale sums near 0), the intervals from the same replicates; only
the source and the worst rows' sources and lines (each partition's own) differ.
The job reads the Parquet files with pyarrow in the Python workers; the same
holds, in the test's own session, for the job's audit stage with Spark's reader
(`--spark-reader`), with the parts brought back through Spark (as off local mode), with rows per
partition from the footers made wrong on purpose (the stage notices and
audits again with the rows the partitions sent), with a file pyarrow
cannot open (the stage runs again with Spark's reader) and with the columns
selected in upper case (pyarrow finds the files' own names; no second run). Prints
where the time goes: Spark's Parquet read, the transfer to calib, calib itself.

Run: python3 Tests/Spark/test_spark_job.py --calib .build/debug/calib [--rows N] [--files F] [--keep DIR]
Exit 0 when the reports agree.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JOB = os.path.join(ROOT, "Sources", "spark", "calib_spark.py")
FLAGS = ["--weight", "weight", "--group", "region", "--bootstrap", "50", "--seed", "4"]


def write_dataset(folder, rows, files, seed=7, weighted=True):
    """`files` Parquet files (row groups of 250,000 rows) of about rows/files rows each: label, prob, and
    with `weighted` a weight and a `region` group column (Tests/Benchmarks/spark_benchmark.py uses it too)."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    cuts = np.linspace(0, rows, files + 1).astype(int)
    for i, (lower, upper) in enumerate(zip(cuts, cuts[1:])):
        n = upper - lower
        z = rng.normal(-2.0, 1.6, size=n)
        prob = 1 / (1 + np.exp(-z))
        label = (rng.random(n) < 1 / (1 + np.exp(-0.8 * z))).astype(np.int64)
        columns = {"label": label, "prob": prob}
        if weighted:
            columns["weight"] = rng.gamma(2.0, 0.5, size=n)
            columns["region"] = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, size=n)]
        pq.write_table(pa.table(columns), os.path.join(folder, f"part-{i:03d}.parquet"), row_group_size=250_000)


def leaves(value, path="", out=None):
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            leaves(v, f"{path}/{k}", out)
    elif isinstance(value, list):
        out[path + "#"] = len(value)
        for i, v in enumerate(value):
            leaves(v, f"{path}[{i}]", out)
    else:
        out[path] = value
    return out


IGNORED = re.compile(r"^/input/source$|^/worstRows\[\d+\]/(line|source)$|^/input/skipped\[\d+\]/examples")


def differences(a, b):
    x, y = leaves(a), leaves(b)
    found = []
    for key in sorted(set(x) | set(y)):
        if IGNORED.search(key):
            continue
        if key not in x or key not in y:
            found.append(f"{key}: only in one")
            continue
        u, v = x[key], y[key]
        if isinstance(u, (int, float)) and isinstance(v, (int, float)) and not isinstance(u, bool):
            same = u == v or (math.isnan(u) and math.isnan(v)) or abs(u - v) <= max(1e-12 * max(abs(u), abs(v)), 1e-14)
            if not same:
                found.append(f"{key}: {u} vs {v}")
        elif u != v:
            found.append(f"{key}: {u!r} vs {v!r}")
    return found


def spark_submit():
    import pyspark
    path = os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit")
    return path if os.path.exists(path) else "spark-submit"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calib", default=os.path.join(ROOT, ".build", "debug", "calib"))
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--keep", help="folder for the dataset and reports (default: a temporary one)")
    args = parser.parse_args()
    calib = os.path.abspath(args.calib)
    folder = args.keep or tempfile.mkdtemp(prefix="calib-spark-test-")
    dataset = os.path.join(folder, "dataset")
    os.makedirs(folder, exist_ok=True)
    write_dataset(dataset, args.rows, args.files)
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    conf = ["--master", "local[2]", "--conf", "spark.sql.files.maxPartitionBytes=8m", "--conf", "spark.ui.enabled=false",
            "--driver-memory", "2g"]

    # The job, as the README shows it.
    merged_path = os.path.join(folder, "spark.json")
    start = time.monotonic()
    status = subprocess.call([spark_submit()] + conf + [JOB, dataset, "--calib", calib] + FLAGS + ["--timings", "--format", "json", "-o", merged_path],
                             env=env, stdout=open(os.path.join(folder, "spark.out"), "w"), stderr=open(os.path.join(folder, "spark.log"), "w"))
    job_seconds = time.monotonic() - start
    if status != 0:
        sys.stderr.write(open(os.path.join(folder, "spark.log")).read()[-4000:])
        sys.exit(f"the Spark job exited {status}")

    # The same rows, in the partitions' order, as one CSV on one machine; and Spark's read alone.
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").config("spark.sql.files.maxPartitionBytes", "8m")
             .config("spark.ui.enabled", "false").getOrCreate())
    frame = spark.read.parquet(dataset)
    partitions = frame.rdd.getNumPartitions()
    start = time.monotonic()
    rows = frame.mapInArrow(lambda batches: (pa.RecordBatch.from_pydict({"n": [sum(b.num_rows for b in batches)]}) for _ in [0]),
                            "n long").groupBy().sum("n").collect()[0][0]
    read_seconds = time.monotonic() - start
    table = frame.toArrow()
    # The job's other ways, in this session: parts brought back through Spark (as off local mode), and
    # rows per partition from the footers that are wrong (the stage must notice and run again).
    sys.path.insert(0, os.path.dirname(JOB))
    import calib_spark
    spark.sparkContext.addPyFile(JOB)  # the Python workers unpickle the job's functions from it
    variants = {}
    for name, footers in (("Spark's reader", "spark-reader"), ("parts through Spark", None), ("footer counts off by one", "off"),
                          ("a file pyarrow cannot open", "unreadable"), ("columns named in another case", "case")):
        saved, saved_files = calib_spark.footer_rows, calib_spark.local_files
        if footers == "off":
            calib_spark.footer_rows = lambda f: {p: n + (1 if p == 0 else -1 if p == 1 else 0) for p, n in saved(f).items()}
        if footers == "unreadable":  # the last partition's first file named wrong: Spark's reader must take over
            def unreadable(layout):
                local = saved_files(layout)
                last = max(local)
                local[last] = [(local[last][0][0] + ".missing",) + tuple(local[last][0][1:])] + local[last][1:]
                return local
            calib_spark.local_files = unreadable
        notes = []
        job = calib_spark.Job(calib, FLAGS, [], notes.append)
        parts_folder = tempfile.mkdtemp(prefix="parts-", dir=folder)
        # Columns selected as `LABEL`, `PROB`…: Spark keeps those names, pyarrow must find the files' own.
        source = frame.select(*[c.upper() for c in frame.columns]) if footers == "case" else frame
        status, parts = job.audit_stage(source, parts_folder, via_spark=footers is None, spark_reader=footers == "spark-reader")
        calib_spark.footer_rows, calib_spark.local_files = saved, saved_files
        report = os.path.join(parts_folder, "merged.json")
        if status != 0 or subprocess.call([calib, "merge"] + parts + ["--format", "json", "-o", report], stdout=subprocess.DEVNULL) not in (0, 1):
            sys.exit(f"{name}: the audit stage or the merge failed")
        if (footers in ("off", "unreadable")) != any("again" in note for note in notes):
            sys.exit(f"{name}: the audit stage ran again: {notes}" if footers not in ("off", "unreadable")
                     else f"{name}: the stage did not run again: {notes}")
        variants[name] = json.load(open(report))
        if footers == "case":  # the reports name the columns as Spark sent them
            columns = variants[name]["input"]["columns"]
            for role, named in columns.items():
                columns[role] = [n.lower() for n in named] if isinstance(named, list) else named.lower() if named else named
            if isinstance(variants[name].get("segments"), dict) and variants[name]["segments"].get("column"):
                variants[name]["segments"]["column"] = variants[name]["segments"]["column"].lower()
    spark.stop()
    whole = os.path.join(folder, "whole.csv")
    start = time.monotonic()
    pacsv.write_csv(table, whole)
    csv_seconds = time.monotonic() - start
    start = time.monotonic()
    single = subprocess.run([calib, "audit", whole] + FLAGS + ["--format", "json"], capture_output=True, text=True)
    audit_seconds = time.monotonic() - start
    if single.returncode not in (0, 1):
        sys.exit(f"calib audit exited {single.returncode}: {single.stderr}")

    merged = json.load(open(merged_path))
    found = differences(json.loads(single.stdout), merged)
    # Each partition's worst rows name it (`--stdin-name partition-NNNNN`), never `<stdin>`.
    sources = {row.get("source") for row in merged.get("worstRows", [])}
    if not sources or not all(re.fullmatch(r"partition-\d{5}", s or "") for s in sources):
        found.append(f"/worstRows sources: {sorted(map(str, sources))}")
    for name, report in variants.items():
        found += [f"{name}: {line}" for line in differences(json.loads(single.stdout), report)]
    print(f"rows {rows:,} in {args.files} Parquet files, {partitions} partitions on local[2]")
    print(f"spark job (spark-submit to exit, JVM start included) {job_seconds:.1f} s, {rows / job_seconds:,.0f} rows/s")
    print(f"  Spark's Parquet read to Arrow batches alone {read_seconds:.1f} s")
    print(f"  the same rows as CSV by pyarrow (one thread) {csv_seconds:.1f} s")
    print(f"calib audit of the same rows as one CSV {audit_seconds:.1f} s, {rows / audit_seconds:,.0f} rows/s")
    print(f"job / single audit: {job_seconds / audit_seconds:.2f}×")
    if found:
        print("the merged report differs from the single audit's:")
        for line in found[:40]:
            print("  " + line)
        sys.exit(1)
    # spark-submit sends the Python driver's standard error to its standard output.
    for line in open(os.path.join(folder, "spark.out")):
        if line.startswith("calib_spark:"):
            print("  " + line.strip())
    metrics = json.loads(single.stdout)["metrics"]
    print("identical figures: " + ", ".join(f"{k} {metrics[k]}" for k in ("ece", "crossEntropy", "brier") if k in metrics))


if __name__ == "__main__":
    main()
