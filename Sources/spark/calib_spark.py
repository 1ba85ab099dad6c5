#!/usr/bin/env python3
"""calib on Apache Spark (SPEC section 14): audits a Spark-readable dataset
(Parquet first, CSV, or any format Spark reads) across the executors and
merges the parts on the driver, with the same reports, gates and exit code
as `calib audit` of the dataset's rows on one machine.

    spark-submit --master local[2] Sources/spark/calib_spark.py DATASET \\
        [--input-format parquet|csv|…] [--calib PATH] [--columns a,b,…] \\
        [calib audit options …] [report and gate options …]

How: each partition's rows go, as Arrow record batches turned into CSV by
pyarrow (header first), to `calib audit - --partial-out - --row-offset N`
on its executor, N being the rows of the partitions before it (counted
first by Spark itself, `spark_partition_id()`), so that the bootstrap keys
every row by its place in the concatenation of the partitions in order: the
merged intervals are the single audit's. The parts come back to the driver,
which runs `calib merge PART… [report and gate options]` and exits with
its status (0, 1 for a failed --fail-on gate, 64, 65, …). An empty
partition is left out. A partition that calib refuses (invalid rows without
`--on-invalid skip`, say) ends the job with calib's message and status.

Options: every `calib audit` option passes through to the executors' audits
(column roles: --label, --score, --weight, --id, --group, --positive,
--classes, --logits; --bins, --bootstrap, --seed, --on-invalid …), except
the report and gate options (--format, -o/--output, --report-dir,
--fail-on, --warn-on, --config, --min-segment-rows, --threads), which go to
`calib merge`. Columns are named as in the dataset, so calib maps them as it
maps a CSV header; --columns keeps only those (the rest never leave Spark);
columns of nested types are left out. --calib names the calib binary on
every executor (default: `calib` on the PATH, or $CALIB). --timings prints
on standard error when each phase ended.
"""
import os
import subprocess
import sys
import tempfile
import time

# The options of `calib merge`, each followed by its value.
MERGE_OPTIONS = {"--format", "-o", "--output", "--report-dir", "--fail-on", "--warn-on", "--config",
                 "--min-segment-rows", "--threads"}


def split_arguments(argv):
    """(dataset, job options, audit arguments, merge arguments) from the command line."""
    job = {"input_format": "parquet", "calib": os.environ.get("CALIB", "calib"), "columns": None, "timings": False}
    job_flags = {"--input-format": "input_format", "--calib": "calib", "--columns": "columns"}
    dataset, audit, merge = None, [], []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if arg == "--timings":
            job["timings"] = True
        elif name in job_flags:
            if not eq:
                i += 1
                value = argv[i]
            job[job_flags[name]] = value
        elif name in MERGE_OPTIONS:
            merge += [arg] if eq else [arg, argv[i + 1]]
            i += 0 if eq else 1
        elif arg.startswith("-") and arg != "-":
            audit.append(arg)
        elif dataset is None:
            dataset = arg
        else:
            audit.append(arg)  # the value of an audit option
        i += 1
    if dataset is None:
        sys.exit("calib_spark: error: name the dataset to audit (a Parquet folder, a CSV file, …)")
    return dataset, job, audit, merge


def audit_partition(calib, audit_arguments, offsets):
    """The function mapInArrow runs on each partition: its batches as CSV into
    `calib audit - --partial-out -`; yields one row (partition, part, status, message)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from pyspark import TaskContext

    def run(batches):
        partition = TaskContext.get().partitionId()
        process, writer = None, None
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if process is None:
                command = [calib, "audit", "-", "--input-format", "csv", "--partial-out", "-",
                           "--row-offset", str(offsets.get(partition, 0))] + audit_arguments
                errors = tempfile.TemporaryFile()
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
                stdout = tempfile.TemporaryFile()
                # The part is written at the end of the audit; read it on a thread so no pipe fills.
                import threading
                reader = threading.Thread(target=lambda: stdout.write(process.stdout.read()))
                reader.start()
                writer = pacsv.CSVWriter(pa.PythonFile(process.stdin, mode="w"), batch.schema)
            try:
                writer.write_batch(batch)
            except (BrokenPipeError, OSError):
                break  # calib stopped reading: its status and message say why
        if process is None:
            return
        try:
            writer.close()
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        status = process.wait()
        reader.join()
        stdout.seek(0)
        errors.seek(0)
        part = stdout.read()
        message = errors.read().decode("utf-8", "replace")
        yield pa.RecordBatch.from_pydict(
            {"partition": [partition], "part": [part if status == 0 else b""], "status": [status], "message": [message]},
            schema=pa.schema([("partition", pa.int32()), ("part", pa.binary()), ("status", pa.int32()), ("message", pa.string())]))

    return run


def main(argv):
    dataset, job, audit_arguments, merge_arguments = split_arguments(argv)
    started = time.monotonic()

    def note(what):
        if job["timings"]:
            sys.stderr.write(f"calib_spark: {what} at {time.monotonic() - started:.1f} s\n")

    from pyspark.sql import SparkSession, functions as F, types as T

    spark = SparkSession.builder.appName("calib").getOrCreate()
    note("Spark session up")
    reader = spark.read.format(job["input_format"])
    if job["input_format"] == "csv":
        reader = reader.option("header", "true").option("inferSchema", "false")
    frame = reader.load(dataset)
    if job["columns"]:
        frame = frame.select(*[c.strip() for c in job["columns"].split(",")])
    flat = (T.StringType, T.NumericType, T.BooleanType)
    frame = frame.select(*[f.name for f in frame.schema.fields if isinstance(f.dataType, flat)])

    # Rows per partition, counted by Spark (no Python), then each partition's first row in the concatenation.
    counts = dict(frame.groupBy(F.spark_partition_id().alias("p")).count().collect())
    note(f"rows per partition counted ({len(counts)} partitions)")
    offsets, before = {}, 0
    for partition in range(frame.rdd.getNumPartitions()):
        offsets[partition] = before
        before += counts.get(partition, 0)

    schema = "partition int, part binary, status int, message string"
    results = sorted(frame.mapInArrow(audit_partition(job["calib"], audit_arguments, offsets), schema).collect(),
                     key=lambda row: row["partition"])
    note("partitions audited, parts collected")
    spark.stop()
    for row in results:
        if row["status"] != 0:
            sys.stderr.write(f"calib_spark: partition {row['partition']}: " + row["message"])
            return row["status"]
    if not results:
        sys.stderr.write("calib: error: the dataset has no rows\n")
        return 65
    with tempfile.TemporaryDirectory(prefix="calib-spark-") as folder:
        parts = []
        for row in results:
            path = os.path.join(folder, f"partition-{row['partition']:05d}.part")
            with open(path, "wb") as f:
                f.write(row["part"])
            parts.append(path)
        sys.stdout.flush()
        status = subprocess.call([job["calib"], "merge"] + parts + merge_arguments)
        note("parts merged")
        return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
