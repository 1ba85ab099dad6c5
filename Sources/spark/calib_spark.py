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


def bootstrap_replicates(audit_arguments):
    """The replicates the audit arguments ask for (`--bootstrap N`, the last one given; default 200)."""
    replicates = 200
    for i, arg in enumerate(audit_arguments):
        name, eq, value = arg.partition("=")
        if name == "--bootstrap":
            value = value if eq else (audit_arguments[i + 1] if i + 1 < len(audit_arguments) else "")
            try:
                replicates = int(value)
            except ValueError:
                replicates = -1  # not a number: calib says so
    return replicates


def partition_rows(frame):
    """{partition: rows} of the frame's non-empty partitions, counted by Spark (no Python)."""
    from pyspark.sql import functions as F
    return dict(frame.groupBy(F.spark_partition_id().alias("p")).count().collect())


def footer_rows(frame):
    """{partition: rows} of a Parquet scan's partitions from the files' footers, without reading a row, or
    None when the frame is not one plain Parquet scan (or anything in the way fails). Each partition is a
    list of file ranges (Spark's `FilePartition`); a range holds the row groups whose midpoint lies in it, as
    Spark's reader decides with parquet-mr's own range filter, called here on the same ranges. The audit
    stage checks these counts against the rows each partition really sent (a wrong guess is redone)."""
    try:
        spark = frame.sparkSession
        leaves = frame._jdf.queryExecution().executedPlan().collectLeaves()
        if leaves.size() != 1:
            return None
        scan = leaves.head()
        if (scan.getClass().getSimpleName() != "FileSourceScanExec"
                or scan.relation().fileFormat().getClass().getSimpleName() != "ParquetFileFormat"
                or scan.dataFilters().size() != 0 or scan.partitionFilters().size() != 0):
            return None
        jvm, conf = spark._jvm, spark._jsc.hadoopConfiguration()
        reader, path = jvm.org.apache.parquet.hadoop.ParquetFileReader, jvm.org.apache.hadoop.fs.Path
        ranges = jvm.org.apache.parquet.format.converter.ParquetMetadataConverter
        counts = {}
        for partition in scan.inputRDD().partitions():
            rows = 0
            for piece in partition.files():
                footer = reader.readFooter(conf, path(piece.filePath().toString()),
                                           ranges.range(piece.start(), piece.start() + piece.length()))
                rows += sum(block.getRowCount() for block in footer.getBlocks())
            counts[partition.index()] = rows
        return counts
    except Exception:  # a Spark without these internals: count the rows instead
        return None


def offsets_of(counts):
    """{partition: rows of the partitions before it} from {partition: rows}."""
    offsets, before = {}, 0
    for partition in sorted(counts):
        offsets[partition] = before
        before += counts[partition]
    return offsets


RESULT_SCHEMA = "partition int, rows long, chunk int, part binary, status int, message string"
CHUNK = 16 << 20  # bytes of a part per result row when parts travel through Spark


def audit_partition(calib, audit_arguments, offsets, folder):
    """The function mapInArrow runs on each partition: its batches as CSV into
    `calib audit - --partial-out PART`; yields rows (partition, rows, chunk,
    part, status, message). With `folder` (the driver's, on local mode) calib
    writes the part there and one row says so; without, the part comes back
    in rows of at most `CHUNK` bytes, numbered from 0."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from pyspark import TaskContext
    schema = pa.schema([("partition", pa.int32()), ("rows", pa.int64()), ("chunk", pa.int32()), ("part", pa.binary()),
                        ("status", pa.int32()), ("message", pa.string())])

    def result(partition, rows, chunk, part, status, message):
        return pa.RecordBatch.from_pydict({"partition": [partition], "rows": [rows], "chunk": [chunk], "part": [part],
                                           "status": [status], "message": [message]}, schema=schema)

    def run(batches):
        partition = TaskContext.get().partitionId()
        process, writer, rows = None, None, 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if process is None:
                target = os.path.join(folder, f"partition-{partition:05d}.part") if folder else "-"
                command = [calib, "audit", "-", "--input-format", "csv", "--partial-out", target,
                           "--row-offset", str(offsets.get(partition, 0))] + audit_arguments
                errors = tempfile.TemporaryFile()
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors,
                                           stdout=subprocess.DEVNULL if folder else subprocess.PIPE)
                writer = pacsv.CSVWriter(pa.PythonFile(process.stdin, mode="w"), batch.schema)
            rows += batch.num_rows
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
        # calib writes the part after its last input row: stdout can be read once stdin is closed.
        chunks = [] if folder else iter(lambda: process.stdout.read(CHUNK), b"")
        held = None
        for index, chunk in enumerate(chunks):
            if held is not None:
                yield held
            held = result(partition, rows, index, chunk, 0, "")
        status = process.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace")
        if status != 0:
            yield result(partition, rows, -1, b"", status, message)
        elif held is not None:
            yield held
        else:
            yield result(partition, rows, 0, b"", 0, message)

    return run


class Job:
    """The audit stage and the merge, for calib at `calib` with the user's audit and merge arguments."""

    def __init__(self, calib, audit_arguments, merge_arguments, note=lambda what: None):
        self.calib, self.audit_arguments, self.merge_arguments, self.note = calib, audit_arguments, merge_arguments, note

    def audit_stage(self, frame, folder, via_spark=None):
        """Audits every partition of `frame`; (status, part paths in partition order): status 0 and the
        parts written into `folder`, or calib's status after its message. With the bootstrap on, each
        part's --row-offset comes from the rows per partition: read from the Parquet footers
        (`footer_rows`) and checked against the rows each partition sent, the stage run again with
        those if they differ; or counted by Spark first when the footers cannot say. The parts come
        back through Spark unless the master is local (or `via_spark` says)."""
        if via_spark is None:
            via_spark = not frame.sparkSession.sparkContext.master.startswith("local")
        counts = None
        if bootstrap_replicates(self.audit_arguments) != 0:
            counts = footer_rows(frame)
            if counts is None:
                counts = partition_rows(frame)
                self.note(f"rows per partition counted ({len(counts)} partitions)")
            else:
                self.note(f"rows per partition read from the Parquet footers ({len(counts)} partitions)")
        status, parts, sent = self.audit_partitions(frame, folder, offsets_of(counts or {}), via_spark)
        self.note("partitions audited, parts with the driver")
        if status == 0 and counts is not None and any(sent.get(p, 0) != counts.get(p, 0) for p in set(sent) | set(counts)):
            status, parts, _ = self.audit_partitions(frame, folder, offsets_of(sent), via_spark)
            self.note("partitions audited again: their rows differed from the footers'")
        return status, parts

    def audit_partitions(self, frame, folder, offsets, via_spark):
        """One run of the audit stage: (status, part paths in partition order, {partition: rows sent})."""
        audited = frame.mapInArrow(audit_partition(self.calib, self.audit_arguments, offsets, None if via_spark else folder),
                                   RESULT_SCHEMA)
        if via_spark:
            from pyspark import StorageLevel
            # Audit every partition at once, keep the results on the executors' disks, then bring the parts
            # to the driver one partition at a time (never all of them in its memory).
            audited = audited.persist(StorageLevel.DISK_ONLY)
            audited.count()
            rows = audited.toLocalIterator()
        else:
            rows = audited.collect()
        problems, parts, sent = [], {}, {}
        for row in rows:
            sent[row["partition"]] = row["rows"]
            if row["status"] != 0:
                problems.append(row)
                continue
            path = os.path.join(folder, f"partition-{row['partition']:05d}.part")
            parts[row["partition"]] = path
            if via_spark:
                with open(path, "r+b" if row["chunk"] else "wb") as f:
                    f.seek(row["chunk"] * CHUNK)
                    f.write(row["part"])
        if via_spark:
            audited.unpersist()
        if problems:
            first = min(problems, key=lambda row: row["partition"])
            sys.stderr.write(f"calib_spark: partition {first['partition']}: " + first["message"])
            return first["status"], [], sent
        return 0, [parts[p] for p in sorted(parts)], sent

    def merge(self, parts):
        """`calib merge PART… [merge arguments]`: its exit status (the report on standard output or where asked)."""
        if not parts:
            sys.stderr.write("calib: error: the dataset has no rows\n")
            return 65
        sys.stdout.flush()
        status = subprocess.call([self.calib, "merge"] + parts + self.merge_arguments)
        self.note("parts merged")
        return status


def main(argv):
    dataset, job, audit_arguments, merge_arguments = split_arguments(argv)
    started = time.monotonic()

    def note(what):
        if job["timings"]:
            sys.stderr.write(f"calib_spark: {what} at {time.monotonic() - started:.1f} s\n")

    from pyspark.sql import SparkSession, types as T

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
    note("dataset's schema read")

    audit = Job(job["calib"], audit_arguments, merge_arguments, note)
    with tempfile.TemporaryDirectory(prefix="calib-spark-") as folder:
        status, parts = audit.audit_stage(frame, folder)
        spark.stop()
        return status if status != 0 else audit.merge(parts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
