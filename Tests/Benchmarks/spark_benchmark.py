#!/usr/bin/env python3
"""The Spark job (Sources/spark/calib_spark.py) against `calib audit` of the
same rows as one CSV (issue 18: the job on local[2] under 3x the single
audit), and where the job's time goes. Not run by CI.

For each size in --rows it makes (once, under --data) a Parquet dataset in
--files files (label, prob; with --weighted also weight and a `region`
group column, the CI test's generator) and the same rows as one CSV written
by pyarrow in the order the job numbers them (Spark's partitions on local[2]),
then times, --runs times each, alternating:
  job          spark-submit --master local[2] of the job, start to exit (JVM
               start included), with the job's own --timings phases: the
               Parquet files read by pyarrow in the Python workers;
  job, Spark's reader   the same with --spark-reader (Spark's Parquet reader,
               its rows sent to the workers as Arrow batches by mapInArrow);
  single       calib audit CSV with the same flags;
and prints wall medians, CPU seconds (the process tree's user + system) and
rows per second, at the default bootstrap and at --bootstrap 0, and whether
each job's merged JSON has the single audit's figures, intervals included
(the CI test's comparison).

Then, in one warm Spark session on the largest size (each step run once to
warm the JIT, then --runs times; wall and the tree's CPU), the steps of the
job's audit stage:
  count     Spark's per-partition row count (`groupBy(spark_partition_id())`), which the job
            runs only when the Parquet footers cannot give the rows per partition
  footers   the rows per partition from the Parquet footers (what the job does with the bootstrap on)
  read      Spark's Parquet read to Arrow batches in the Python workers (rows counted)
  csv       + every batch written as CSV by pyarrow, to /dev/null
  audit (Spark's reader)   + `calib audit - --partial-out PART` reading it (parts in the driver's folder)
  pyarrow read, csv        the partitions' row groups read by pyarrow in the workers, CSV to /dev/null
  audit (pyarrow's read)   + calib reading it: the job's stage
and, outside Spark: `calib merge` of the stage's parts, and pyarrow alone
reading the Parquet files and writing the CSV (one process).
A no-op spark-submit (session up and down) gives the fixed start-up cost.

Run: python3 Tests/Benchmarks/spark_benchmark.py --calib PATH [--rows 2000000,20000000] [--files 5]
     [--weighted] [--runs 3] [--data /tmp/calib-spark-bench] [--no-breakdown] [--bootstrap 200,0]
Needs: pip install pyspark pyarrow numpy; Java 17 or later; /usr/bin/time not needed.
Wall times are only meaningful on a quiet machine (the load average is printed).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JOB = os.path.join(ROOT, "Sources", "spark", "calib_spark.py")
sys.path.insert(0, os.path.join(ROOT, "Sources", "spark"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Spark"))
from test_spark_job import differences, write_dataset  # noqa: E402 (the CI test's generator and comparison)


def job_order(folder):
    """[(file, row groups)] in the order the job numbers the rows: its partitions' pieces in partition
    order, as Spark plans them on local[2] (files packed by size, not by name), so that the single audit
    keys each row's Poisson counts as the job does and even the intervals must agree."""
    from pyspark.sql import SparkSession
    import calib_spark
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    try:
        local = calib_spark.local_files(calib_spark.parquet_layout(spark.read.parquet(folder)) or {})
    finally:
        spark.stop()
    if not local:
        sys.exit("no Parquet layout from Spark: cannot write the CSV in the job's row order")
    return [(path, groups) for partition in sorted(local) for path, groups, _ in local[partition]]


def parquet_to_csv(folder, path):
    """The dataset's rows as one CSV by pyarrow (as the job writes them), in the job's row order."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    pieces = job_order(folder)
    with pacsv.CSVWriter(path + ".tmp", pq.read_schema(pieces[0][0])) as writer:
        for name, groups in pieces:
            for batch in pq.ParquetFile(name).iter_batches(batch_size=250_000, row_groups=groups):
                writer.write_batch(batch)
    os.rename(path + ".tmp", path)


def tree_cpu(pid):
    """CPU seconds (user + system, own and waited-for children) of process `pid` and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    children, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        times[int(entry)] = sum(int(x) for x in fields[11:15]) / ticks
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        total += times.get(p, 0.0)
        stack += children.get(p, [])
    return total


def timed(command, **kwargs):
    """(wall seconds, CPU seconds of the child's process tree, completed process) of a command run to its
    end. The tree's CPU is sampled every 0.2 s as well as taken from wait4: a JVM need not wait for its
    Python workers (nor they for calib), so their time may never reach the child's rusage."""
    import threading
    start = time.monotonic()
    process = subprocess.Popen(command, **kwargs)
    sampled, done = [0.0], threading.Event()

    def sample():
        while not done.wait(0.2):
            sampled[0] = max(sampled[0], tree_cpu(process.pid))
    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, max(usage.ru_utime + usage.ru_stime, sampled[0]), process


def spark_submit():
    import pyspark
    path = os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit")
    return path if os.path.exists(path) else "spark-submit"


CONF = ["--master", "local[2]", "--conf", "spark.ui.enabled=false"]


def run_job(calib, dataset, flags, log, extra=()):
    """One spark-submit of the job: (wall, CPU, {phase: seconds since the driver started})."""
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    with open(log, "w") as out:
        wall, cpu, process = timed([spark_submit()] + CONF + [JOB, dataset, "--calib", calib] + list(extra) + flags +
                                   ["--timings", "--format", "json", "-o", os.path.splitext(log)[0] + ".json"], env=env, stdout=out, stderr=subprocess.STDOUT)
    if process.returncode not in (0, 1):
        sys.stderr.write(open(log).read()[-3000:])
        sys.exit(f"the job exited {process.returncode}")
    phases = {}
    for line in open(log):
        if line.startswith("calib_spark: ") and " at " in line:
            what, _, at = line[len("calib_spark: "):].rpartition(" at ")
            phases[what.split(" (")[0]] = float(at.split()[0])
    return wall, cpu, phases


def run_single(calib, csv, flags, report):
    with open(report, "w") as out:
        wall, cpu, process = timed([calib, "audit", csv] + flags + ["--format", "json"], stdout=out)
    if process.returncode not in (0, 1):
        sys.exit(f"calib audit exited {process.returncode}")
    return wall, cpu


def agreement(job_report, single_report):
    """Whether the job's merged JSON has the single audit's figures (the CI test's comparison: counts
    exact, values within 1e-12 relative, intervals included; the source names and lines aside)."""
    with open(job_report) as job, open(single_report) as single:
        found = differences(json.load(job), json.load(single))
    return "the same figures (within 1e-12 relative)" if not found else f"{len(found)} differences, e.g. {found[0]}"


def noop_job(log):
    """spark-submit of a job that only starts and stops its session: the fixed cost."""
    script = os.path.join(os.path.dirname(log), "noop_job.py")
    with open(script, "w") as f:
        f.write("from pyspark.sql import SparkSession\nSparkSession.builder.appName('noop').getOrCreate().stop()\n")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    with open(log, "w") as out:
        wall, cpu, _ = timed([spark_submit()] + CONF + [script], env=env, stdout=out, stderr=subprocess.STDOUT)
    return wall, cpu


def median(values):
    return statistics.median(values) if values else float("nan")


def breakdown(calib, dataset, flags, runs, folder):
    """The audit stage's steps in one warm session: {step: (wall median, CPU median)}."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession, functions as F
    import calib_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.addPyFile(JOB)  # the Python workers unpickle the job's functions from it
    jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    frame = spark.read.parquet(dataset)

    def rows_only(batches):
        yield pa.RecordBatch.from_pydict({"n": [sum(b.num_rows for b in batches)]})

    def csv_only(batches):
        n, writer = 0, None
        with open(os.devnull, "wb") as sink:
            for b in batches:
                writer = writer or pacsv.CSVWriter(sink, b.schema)
                writer.write_batch(b)
                n += b.num_rows
        yield pa.RecordBatch.from_pydict({"n": [n]})

    parts_folder = os.path.join(folder, "parts")
    os.makedirs(parts_folder)
    job = calib_spark.Job(calib, flags, [])

    def audit():
        status, parts = job.audit_stage(frame, parts_folder)
        if status != 0:
            sys.exit(f"the audit stage exited {status}")

    def pyarrow_workers():
        """The job's read when pyarrow can read the files: each task reads its partition's row groups with
        pyarrow in the Python worker; here it writes them as CSV to /dev/null."""
        local = calib_spark.local_files(calib_spark.parquet_layout(frame))

        def read(elements):
            with open(os.devnull, "wb") as sink:
                writer, n = None, 0
                for _, pieces in elements:
                    for path, groups, _ in pieces:
                        for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, row_groups=groups):
                            writer = writer or pacsv.CSVWriter(sink, batch.schema)
                            writer.write_batch(batch)
                            n += batch.num_rows
            yield n
        elements = sorted(local.items())
        return sum(spark.sparkContext.parallelize(elements, len(elements)).mapPartitions(read).collect())

    def audit_spark_reader():
        status, parts = job.audit_stage(frame, parts_folder, spark_reader=True)
        if status != 0:
            sys.exit(f"the audit stage exited {status}")

    steps = {
        "count": lambda: calib_spark.partition_rows(frame),
        "footers": lambda: calib_spark.footer_rows(calib_spark.parquet_layout(frame)),
        "read": lambda: frame.mapInArrow(rows_only, "n long").collect(),
        "csv": lambda: frame.mapInArrow(csv_only, "n long").collect(),
        "audit (Spark's reader)": audit_spark_reader,
        "pyarrow read, csv (in the workers)": pyarrow_workers,
        "audit (pyarrow's read, the job's default)": audit,
    }
    results = {}
    for name, step in steps.items():
        walls, cpus = [], []
        for run in range(runs + 1):
            before, start = tree_cpu(jvm), time.monotonic()
            step()
            wall, cpu = time.monotonic() - start, tree_cpu(jvm) - before
            if run:
                walls.append(wall)
                cpus.append(cpu)
            else:
                results[name + " (first run)"] = (wall, cpu)
        results[name] = (median(walls), median(cpus))
    spark.stop()

    parts = sorted(glob.glob(os.path.join(parts_folder, "*.part")))
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, process = timed([calib, "merge"] + parts + ["--format", "json"], stdout=subprocess.DEVNULL)
        walls.append(wall)
        cpus.append(cpu)
    results["merge"] = (median(walls), median(cpus))
    results["part bytes"] = (sum(os.path.getsize(p) for p in parts), len(parts))

    def pyarrow_csv():
        with open(os.devnull, "wb") as sink:
            writer = None
            for name in sorted(glob.glob(os.path.join(dataset, "*.parquet"))):
                for batch in pq.ParquetFile(name).iter_batches(batch_size=250_000):
                    writer = writer or pacsv.CSVWriter(sink, batch.schema)
                    writer.write_batch(batch)
    walls, cpus = [], []
    for _ in range(runs):
        usage, start = os.times(), time.monotonic()
        pyarrow_csv()
        after = os.times()
        walls.append(time.monotonic() - start)
        cpus.append(after.user + after.system - usage.user - usage.system)
    results["pyarrow parquet->csv"] = (median(walls), median(cpus))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calib", required=True)
    parser.add_argument("--rows", default="2000000,20000000")
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--weighted", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bootstrap", default="200,0", help="bootstrap replicates to time, comma-separated")
    parser.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "calib-spark-bench"))
    parser.add_argument("--no-breakdown", action="store_true")
    args = parser.parse_args()
    calib = os.path.abspath(args.calib)
    os.makedirs(args.data, exist_ok=True)
    sizes = [int(r) for r in args.rows.split(",")]
    base = ["--weight", "weight", "--group", "region"] if args.weighted else []
    print(f"load average {os.getloadavg()[0]:.2f} at the start; {os.cpu_count()} cores; calib {calib}")

    fixed = [noop_job(os.path.join(args.data, "noop.log")) for _ in range(args.runs)]
    print(f"no-op spark-submit (JVM, Python driver, session up and down): {median([w for w, _ in fixed]):.1f} s wall, "
          f"{median([c for _, c in fixed]):.1f} s CPU")
    print()
    print("| rows | bootstrap | job | job wall | job CPU | single audit wall | single CPU | job / single (wall) | job rows/s | single rows/s | job phases (driver clock) |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    last = None
    for rows in sizes:
        name = f"{'w' if args.weighted else 'b'}{rows}x{args.files}"
        dataset, csv = os.path.join(args.data, name), os.path.join(args.data, name + "-job-order.csv")
        if not os.path.isdir(dataset):
            write_dataset(dataset, rows, args.files, weighted=args.weighted)
        if not os.path.exists(csv):
            parquet_to_csv(dataset, csv)
        for bootstrap in args.bootstrap.split(","):
            flags = base + ["--bootstrap", bootstrap]
            jobs, spark_jobs, singles, checks = [], [], [], set()
            single_report = os.path.join(args.data, "single.json")
            for _ in range(args.runs):
                jobs.append(run_job(calib, dataset, flags, os.path.join(args.data, "job.log")))
                spark_jobs.append(run_job(calib, dataset, flags, os.path.join(args.data, "spark-reader.log"), ["--spark-reader"]))
                singles.append(run_single(calib, csv, flags, single_report))
                for log in ("job", "spark-reader"):
                    checks.add(f"{log}: {agreement(os.path.join(args.data, log + '.json'), single_report)}")
            sw, sc = median([s[0] for s in singles]), median([s[1] for s in singles])
            for name, runs in (("job", jobs), ("job, Spark's reader", spark_jobs)):
                jw, jc = median([j[0] for j in runs]), median([j[1] for j in runs])
                shown = ", ".join(f"{k} {v:.1f}" for k, v in sorted(runs, key=lambda j: j[0])[len(runs) // 2][2].items())
                print(f"| {rows:,} | {bootstrap} | {name} | {jw:.1f} s | {jc:.1f} s | {sw:.2f} s | {sc:.2f} s | {jw / sw:.1f}× | "
                      f"{rows / jw:,.0f} | {rows / sw:,.0f} | {shown} |", flush=True)
            print(f"| {rows:,} | {bootstrap} | against the single audit's JSON | {'; '.join(sorted(checks))} |" + " |" * 7, flush=True)
        last = (dataset, csv, base)

    if args.no_breakdown or last is None:
        return
    dataset, csv, base = last
    flags = base + ["--bootstrap", args.bootstrap.split(",")[0]]
    with tempfile.TemporaryDirectory(prefix="calib-spark-bench-") as folder:
        results = breakdown(calib, dataset, flags, args.runs, folder)
    size, count = results.pop("part bytes")
    print()
    print(f"Where the time goes, {sizes[-1]:,} rows, {' '.join(flags)}, warm session on local[2] "
          f"(medians of {args.runs} after one warm-up run; parts: {count}, {size / 1e6:.0f} MB):")
    print()
    print("| step | wall | CPU (JVM, workers, calib) |")
    print("|---|---:|---:|")
    for name, (wall, cpu) in results.items():
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
