#!/usr/bin/env python3
"""calib on Apache Spark (SPEC section 14): audits a Spark-readable dataset
(Parquet first, CSV, or any format Spark reads) across the executors and
merges the parts on the driver, with the same reports, gates and exit code
as `calib audit` of the dataset's rows on one machine.

    spark-submit --master local[2] Sources/spark/calib_spark.py DATASET \\
        [--input-format parquet|csv|…] [--calib PATH] [--columns a,b,…] \\
        [--spark-reader] [--timings] [calib audit options …] [report and gate options …]

How: each partition's rows go, as Arrow record batches turned into CSV by
pyarrow (header first), to `calib audit - --partial-out PART --row-offset N`
on its executor, N being the rows of the partitions before it, so that the
bootstrap keys every row by its place in the concatenation of the
partitions in order: the merged intervals are the single audit's. For a
Parquet dataset the rows per partition come from the files' footers (the
row groups Spark's reader gives each partition), checked against the rows
each partition sent; otherwise Spark counts them first; with --bootstrap 0
no offset is needed. A Parquet dataset of local (or mounted) files is read
by pyarrow in the Python workers, each task its partition's row groups in
Spark's order, which skips Spark's reader and its JVM-to-Python transfer
(--spark-reader turns this off; a file pyarrow cannot read turns it off by
itself); any other dataset by Spark's reader and `mapInArrow`. On local
mode calib writes each part into the driver's temporary folder; elsewhere
the parts come back through Spark, from a stage kept on the executors'
disks, one partition at a time. The driver runs `calib merge PART… [report
and gate options]` and exits with its status (0, 1 for a failed --fail-on
gate, 64, 65, …). An empty partition is left out. A partition that calib
refuses (invalid rows without `--on-invalid skip`, say) ends the job with
calib's message and status.

Options: every `calib audit` option passes through to the executors' audits
(column roles: --label, --score, --weight, --id, --group, --positive,
--classes, --logits; --bins, --bootstrap, --seed, --on-invalid …), except
the report and gate options (--format, -o/--output, --report-dir,
--fail-on, --warn-on, --config, --min-segment-rows, --threads), which go to
`calib merge`. Columns are named as in the dataset, so calib maps them as it
maps a CSV header; --columns keeps only those (the rest never leave Spark);
columns of nested types are left out. --calib names the calib binary on
every executor (default: `calib` on the PATH, or $CALIB). --timings prints
on standard error when each phase ended. --spark-reader reads a Parquet
dataset with Spark's reader even when pyarrow could.
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
    job = {"input_format": "parquet", "calib": os.environ.get("CALIB", "calib"), "columns": None, "timings": False,
           "spark_reader": False}
    job_flags = {"--input-format": "input_format", "--calib": "calib", "--columns": "columns"}
    dataset, audit, merge = None, [], []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if arg == "--timings":
            job["timings"] = True
        elif arg == "--spark-reader":
            job["spark_reader"] = True
        elif name in job_flags:
            if not eq:
                i += 1
                value = argv[i]
            job[job_flags[name]] = value
        elif name in MERGE_OPTIONS:
            merge += [arg] if eq else [arg, argv[i + 1]]
            i += 0 if eq else 1
        elif name == "--stdin-name":
            sys.exit("calib_spark: error: --stdin-name is the job's: each partition's input is named partition-NNNNN")
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


def parquet_layout(frame):
    """{partition: [(file, row group ordinals, rows)]} of a Parquet scan's partitions, from the files'
    footers without reading a row, or None when the frame is not one plain Parquet scan (or anything in
    the way fails). Each partition is a list of file ranges (Spark's `FilePartition`); a range holds the
    row groups whose midpoint lies in it, as Spark's reader decides with parquet-mr's own range filter,
    called here on the same ranges."""
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
        uri = jvm.java.net.URI  # a file's name is its URI, escaped (a space is %20): Path(String) would escape it again
        ranges = jvm.org.apache.parquet.format.converter.ParquetMetadataConverter
        layout, starts = {}, {}
        for partition in scan.inputRDD().partitions():
            pieces = []
            for piece in partition.files():
                name = piece.filePath().toString()
                if name not in starts:  # each row group's index in its file, by its first byte
                    every = reader.readFooter(conf, path(uri(name)), ranges.NO_FILTER).getBlocks()
                    starts[name] = {block.getStartingPos(): index for index, block in enumerate(every)}
                footer = reader.readFooter(conf, path(uri(name)), ranges.range(piece.start(), piece.start() + piece.length()))
                blocks = list(footer.getBlocks())
                pieces.append((name, [starts[name].get(block.getStartingPos(), -1) for block in blocks],
                               sum(block.getRowCount() for block in blocks)))
            layout[partition.index()] = pieces
        # pyarrow can read these row groups itself only from plain files, with no partition columns in paths.
        layout_only_rows = scan.relation().partitionSchema().length() != 0
        return {p: [(name if not layout_only_rows else None, groups, rows) for name, groups, rows in pieces]
                for p, pieces in layout.items()}
    except Exception:  # a Spark without these internals: count the rows instead
        return None


def footer_rows(layout):
    """{partition: rows} from a `parquet_layout`. The audit stage checks these counts against the rows
    each partition really sent (a wrong count is redone)."""
    return {partition: sum(rows for _, _, rows in pieces) for partition, pieces in layout.items()}


def local_files(layout):
    """The layout's pieces with local paths in place of file: URIs, or None unless every file is a plain
    local (or mounted) file with known row group ordinals, which pyarrow can read in the Python workers."""
    from urllib.parse import unquote, urlparse
    local = {}
    for partition, pieces in layout.items():
        local[partition] = []
        for name, groups, rows in pieces:
            if name is None or urlparse(name).scheme != "file" or any(g < 0 for g in groups):
                return None
            local[partition].append((unquote(urlparse(name).path), groups, rows))
    return local


def offsets_of(counts):
    """{partition: rows of the partitions before it} from {partition: rows}."""
    offsets, before = {}, 0
    for partition in sorted(counts):
        offsets[partition] = before
        before += counts[partition]
    return offsets


RESULT_SCHEMA = "partition int, rows long, chunk int, part binary, status int, message string"
CHUNK = 16 << 20  # bytes of a part per result row when parts travel through Spark
REREAD = -2  # the status of a partition pyarrow could not read: the stage runs again with Spark's reader


def audit_batches(calib, audit_arguments, offset, folder, partition, batches, reread=False):
    """One partition's Arrow batches as CSV (by pyarrow) into `calib audit - --partial-out PART
    --row-offset offset`; yields tuples (partition, rows, chunk, part, status, message). With `folder`
    (the driver's, on local mode) calib writes the part there and one tuple says so; without, the part
    comes back in tuples of at most `CHUNK` bytes, numbered from 0. With `reread`, an exception from
    `batches` (pyarrow reading a file) gives status `REREAD` and its message."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    process, writer, rows, failure = None, None, 0, None
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if process is None:
                target = os.path.join(folder, f"partition-{partition:05d}.part") if folder else "-"
                command = [calib, "audit", "-", "--input-format", "csv", "--partial-out", target,
                           "--row-offset", str(offset), "--stdin-name", f"partition-{partition:05d}"] + audit_arguments
                errors = tempfile.TemporaryFile()
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors,
                                           stdout=subprocess.DEVNULL if folder else subprocess.PIPE)
                writer = pacsv.CSVWriter(pa.PythonFile(process.stdin, mode="w"), batch.schema)
            rows += batch.num_rows
            try:
                writer.write_batch(batch)
            except (BrokenPipeError, OSError):
                break  # calib stopped reading: its status and message say why
    except Exception as problem:  # a batch pyarrow could not read or convert
        if not reread:
            raise
        failure = f"{type(problem).__name__}: {problem}\n"
    if failure is not None:
        if process is not None:
            process.kill()
            process.wait()
        yield (partition, rows, -1, b"", REREAD, failure)
        return
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
        held = (partition, rows, index, chunk, 0, "")
    status = process.wait()
    errors.seek(0)
    message = errors.read().decode("utf-8", "replace")
    if status != 0:
        yield (partition, rows, -1, b"", status, message)
    elif held is not None:
        yield held
    else:
        yield (partition, rows, 0, b"", 0, message)


def audit_partition(calib, audit_arguments, offsets, folder):
    """The function mapInArrow runs on each partition (Spark's reader): `audit_batches` of its batches,
    each result tuple as a one-row record batch of `RESULT_SCHEMA`."""
    import pyarrow as pa
    from pyspark import TaskContext
    schema = pa.schema([("partition", pa.int32()), ("rows", pa.int64()), ("chunk", pa.int32()), ("part", pa.binary()),
                        ("status", pa.int32()), ("message", pa.string())])

    def run(batches):
        partition = TaskContext.get().partitionId()
        for result in audit_batches(calib, audit_arguments, offsets.get(partition, 0), folder, partition, batches):
            yield pa.RecordBatch.from_arrays([pa.array([value], type=field.type) for value, field in zip(result, schema)],
                                             schema=schema)

    return run


def stored_names(columns, names):
    """The file's own names of Spark's `columns`: the same name, else the one name equal but for case (Spark
    resolves `--columns LABEL` to a file's `label` and keeps the name as written; calib maps a header the
    same way), else the name as given (pyarrow then fails to find it and Spark's reader takes over)."""
    def stored(column):
        if column in names:
            return column
        folded = [name for name in names if name.lower() == column.lower()]
        return folded[0] if len(folded) == 1 else column
    return [stored(column) for column in columns]


def read_partition(calib, audit_arguments, offsets, folder, columns, arrow_schema):
    """The function each task of the pyarrow read runs on its one (partition, pieces) element: the
    pieces' row groups read by pyarrow (the columns Spark would read, cast to the Arrow types Spark
    would send), then `audit_batches`."""
    def run(elements):
        import pyarrow.parquet as pq
        for partition, pieces in elements:
            def batches():
                for path, groups, _ in pieces:
                    if groups:
                        file = pq.ParquetFile(path)
                        stored = stored_names(columns, file.schema_arrow.names)
                        for batch in file.iter_batches(batch_size=65_536, row_groups=groups, columns=stored):
                            # in Spark's column order, under Spark's names
                            yield batch.select(stored).rename_columns(columns).cast(arrow_schema)
            yield from audit_batches(calib, audit_arguments, offsets.get(partition, 0), folder, partition, batches(), reread=True)
    return run


class Job:
    """The audit stage and the merge, for calib at `calib` with the user's audit and merge arguments."""

    def __init__(self, calib, audit_arguments, merge_arguments, note=lambda what: None):
        self.calib, self.audit_arguments, self.merge_arguments, self.note = calib, audit_arguments, merge_arguments, note

    def audit_stage(self, frame, folder, via_spark=None, spark_reader=False):
        """Audits every partition of `frame`; (status, part paths in partition order): status 0 and the
        parts written into `folder`, or calib's status after its message.

        The rows: a Parquet dataset of plain local files is read by pyarrow in the Python workers, each
        task the row groups Spark's reader would give its partition (`parquet_layout`), in the same
        order; otherwise, or with `spark_reader`, or when pyarrow cannot read a file, by Spark's reader
        (`mapInArrow`). With the bootstrap on, each part's --row-offset comes from the rows per
        partition: from the Parquet footers, checked against the rows each partition sent (the stage
        runs again with those if they differ), or counted by Spark first when the footers cannot say.
        The parts come back through Spark unless the master is local (or `via_spark` says)."""
        if via_spark is None:
            via_spark = not frame.sparkSession.sparkContext.master.startswith("local")
        offsets_needed = bootstrap_replicates(self.audit_arguments) != 0
        # The footers serve pyarrow's read and the bootstrap's row offsets: with neither, they are not read.
        layout = parquet_layout(frame) if offsets_needed or not spark_reader else None
        local = None if spark_reader or layout is None else local_files(layout)
        self.note("Parquet footers read" if layout is not None else "no footers read" if spark_reader and not offsets_needed
                  else "not one Parquet scan: no footers")
        counts = None
        if offsets_needed:
            if layout is not None:
                counts = footer_rows(layout)
            else:
                counts = partition_rows(frame)
                self.note(f"rows per partition counted ({len(counts)} partitions)")
        status, parts, sent = self.audit_partitions(frame, folder, offsets_of(counts or {}), via_spark, local)
        self.note("partitions audited ({}), parts with the driver".format("pyarrow's read" if local else "Spark's read"))
        expected = {p: sum(rows for _, _, rows in pieces) for p, pieces in (local or {}).items() if pieces}
        if status == REREAD or (local is not None and status == 0 and sent != {p: n for p, n in expected.items() if n}):
            # pyarrow could not read a file, or read other rows than the footers list: Spark's reader decides.
            local = None
            status, parts, sent = self.audit_partitions(frame, folder, offsets_of(counts or {}), via_spark, local)
            self.note("partitions audited again with Spark's reader")
        if status == 0 and counts is not None and any(sent.get(p, 0) != counts.get(p, 0) for p in set(sent) | set(counts)):
            status, parts, _ = self.audit_partitions(frame, folder, offsets_of(sent), via_spark, local)
            self.note("partitions audited again: their rows differed from the footers'")
        return status, parts

    def audit_partitions(self, frame, folder, offsets, via_spark, local):
        """One run of the audit stage (pyarrow's read of `local`'s pieces, or Spark's):
        (status, part paths in partition order, {partition: rows sent})."""
        target = None if via_spark else folder
        if local is not None:
            from pyspark.sql.pandas.types import to_arrow_schema
            elements = [(partition, local[partition]) for partition in sorted(local)]
            audited = frame.sparkSession.sparkContext.parallelize(elements, max(1, len(elements))).mapPartitions(
                read_partition(self.calib, self.audit_arguments, offsets, target, frame.columns, to_arrow_schema(frame.schema)))
        else:
            audited = frame.mapInArrow(audit_partition(self.calib, self.audit_arguments, offsets, target), RESULT_SCHEMA)
        if via_spark:
            from pyspark import StorageLevel
            # Audit every partition at once, keep the results on the executors' disks, then bring the parts
            # to the driver one partition at a time (never all of them in its memory).
            audited = audited.persist(StorageLevel.DISK_ONLY)
            audited.count()
            results = audited.toLocalIterator()
        else:
            results = audited.collect()
        problems, parts, sent = [], {}, {}
        for partition, rows, chunk, part, status, message in results:
            sent[partition] = rows
            if status != 0:
                problems.append((partition, status, message))
                continue
            path = os.path.join(folder, f"partition-{partition:05d}.part")
            parts[partition] = path
            if via_spark:
                with open(path, "r+b" if chunk else "wb") as f:
                    f.seek(chunk * CHUNK)
                    f.write(part)
        if via_spark:
            audited.unpersist()
        if problems:
            partition, status, message = min(problems)
            if any(status == REREAD for _, status, _ in problems):
                self.note("pyarrow could not read a file: " + message.strip())
                return REREAD, [], sent
            sys.stderr.write(f"calib_spark: partition {partition}: " + message)
            return status, [], sent
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
        status, parts = audit.audit_stage(frame, folder, spark_reader=job["spark_reader"])
        spark.stop()
        return status if status != 0 else audit.merge(parts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
