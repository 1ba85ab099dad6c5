// The partial state's cost (issue 18: writing a part and merging it cost
// less than 5% of an audit), measured in one process:
//   swift run -c release CalibBenchmarks --part-cost PATH [THREADS] [PAIRS]
// runs, alternately, the audit's pipeline on PATH (InputAudit.accumulate
// then finish, as `calib audit PATH` does, without rendering) and the split
// one (accumulate, encode the part, write it to a file as `--partial-out`
// does, read it back and verify and decode it as `calib merge` does, merge
// it (one part: nothing to add), finish), PAIRS times each (default 5), on
// THREADS readers (default one per online core), with the default 200
// bootstrap replicates and with `--bootstrap 0`. It prints the medians of
// each phase's wall seconds (the write split into the kernel's copy and the
// commit: close and rename, no `fsync`, as for a part) and of both pipelines' wall and CPU seconds (getrusage:
// user + system of every thread), the wall seconds of the part's own phases
// (encode to merge; steadier on a shared machine than the difference of two
// pipelines), and the split's extra as a percentage of the audit: the
// target is below 5% in both. The part goes to
// `$TMPDIR` (default /tmp) and is removed after each run. Process start and
// the report's rendering, the same for both, are left out.
import CalibCore
import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func measurePartCost(arguments: [String]) {
    guard let path = arguments.first else { print("usage: --part-cost PATH [THREADS] [PAIRS]"); return }
    var options = ReadOptions()
    if arguments.count > 1, let threads = Int(arguments[1]), threads > 0 { options.threads = threads }
    let pairs = arguments.count > 2 ? Swift.max(1, Int(arguments[2]) ?? 5) : 5
    let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    let partPath = folder + "/calib-part-cost-\(getpid()).part"
    let ranking = RankingSettings()

    /// Wall seconds of each phase, and the pipeline's CPU seconds.
    struct Run {
        var phases: [String: Double] = [:]
        var cpu = 0.0
        var wall: Double { phases.values.reduce(0, +) }
        var bytes = 0
        var auc: Double?
    }
    func timed<T>(_ name: String, _ run: inout Run, _ body: () throws -> T) -> T {
        var value: T?
        var failure: (any Error)?
        run.phases[name] = seconds {
            do { value = try body() } catch { failure = error }
        }
        if let failure { print("\(name) failed: \(failure)"); exit(1) }
        return value!
    }

    func audit(_ bootstrap: BootstrapSettings?) -> Run {
        var run = Run()
        let cpu = processCPUSeconds()
        let sums = timed("accumulate", &run) { try InputAudit.accumulate(.file(path), options: options, ranking: ranking, bootstrap: bootstrap) }
        let outcome = timed("finish", &run) { sums.finish(threads: options.threads) }
        run.cpu = processCPUSeconds() - cpu
        run.auc = outcome.result.ranking?.rocAUC
        return run
    }

    func split(_ bootstrap: BootstrapSettings?) -> Run {
        var run = Run()
        let cpu = processCPUSeconds()
        let sums = timed("accumulate", &run) { try InputAudit.accumulate(.file(path), options: options, ranking: ranking, bootstrap: bootstrap) }
        let encoded = timed("encode", &run) { PartialPart(tool: "part-cost", rowOffset: 0, audit: sums).encodedPart() }
        run.bytes = encoded.count
        let fd = timed("write", &run) { writePartFile(encoded, to: partPath) }
        timed("commit", &run) { commitPartFile(fd, to: partPath) }
        let read = timed("read", &run) { try PartialFile.read(partPath) }
        let decoded = timed("verify+decode", &run) { try AnyPartialPart(decoding: read, file: partPath) }
        guard case .audit(let part) = decoded else { print("the part decoded as another kind"); exit(1) }
        let merged = timed("merge", &run) { () -> PartialPart in
            var merged = part
            merged.tool = "merged"
            merged.rowOffset = 0
            return merged
        }
        let outcome = timed("finish", &run) { merged.audit.finish(threads: options.threads) }
        run.cpu = processCPUSeconds() - cpu
        run.auc = outcome.result.ranking?.rocAUC
        unlink(partPath)
        return run
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    print("part cost on \(path), \(options.threads) thread\(options.threads == 1 ? "" : "s"), \(pairs) alternating pairs (medians):")
    for (name, bootstrap) in [("default (200 bootstrap replicates)", Optional(BootstrapSettings())), ("--bootstrap 0", nil)] {
        _ = split(bootstrap) // warm the page cache and the allocator
        var audits: [Run] = [], splits: [Run] = []
        for _ in 0..<pairs {
            audits.append(audit(bootstrap))
            splits.append(split(bootstrap))
        }
        precondition(audits.last!.auc == splits.last!.auc, "the split audit's ROC-AUC differs from the audit's")
        let wall0 = median(audits.map(\.wall)), cpu0 = median(audits.map(\.cpu))
        let wall1 = median(splits.map(\.wall)), cpu1 = median(splits.map(\.cpu))
        let phases = ["accumulate", "encode", "write", "commit", "read", "verify+decode", "merge", "finish"]
        let partPhases = phases.filter { $0 != "accumulate" && $0 != "finish" }
        let partWall = median(splits.map { run in partPhases.reduce(0) { $0 + run.phases[$1]! } })
        print("  \(name): part \(fixed(Double(splits.last!.bytes) / 1e6, 1)) MB")
        print("    audit: \(fixed(wall0, 3)) s wall (accumulate \(fixed(median(audits.map { $0.phases["accumulate"]! }), 3)), finish \(fixed(median(audits.map { $0.phases["finish"]! }), 3))), \(fixed(cpu0, 3)) s CPU")
        print("    split: \(fixed(wall1, 3)) s wall (" + phases.map { phase in "\(phase) \(fixed(median(splits.map { $0.phases[phase]! }), 3))" }.joined(separator: ", ") + "), \(fixed(cpu1, 3)) s CPU")
        print("    the part's own phases (encode to merge): \(fixed(partWall, 3)) s wall = \(fixed(100 * partWall / wall0, 1))% of the audit")
        func signed(_ x: Double, _ digits: Int) -> String { (x < 0 ? "-" : "+") + fixed(abs(x), digits) }
        print("    part cost: \(signed(wall1 - wall0, 3)) s wall = \(fixed(100 * (wall1 - wall0) / wall0, 1))% of the audit, \(signed(cpu1 - cpu0, 3)) s CPU = \(fixed(100 * (cpu1 - cpu0) / cpu0, 1))% (target < 5%)")
    }
}

/// Writes `part` to a new temporary file beside `path`, as `calib audit
/// --partial-out` does (`AtomicFile`), from where the part's bytes lie, and
/// returns its descriptor for `commitPartFile(_:to:)`.
func writePartFile(_ part: EncodedPart, to path: String) -> Int32 {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    precondition(fd >= 0, "cannot create \(temporary)")
    part.forEachSegment { raw in
        var at = 0
        while at < raw.count {
            let n = write(fd, raw.baseAddress! + at, raw.count - at)
            precondition(n > 0 || errno == EINTR, "cannot write \(temporary)")
            if n > 0 { at += n }
        }
    }
    return fd
}

/// Closes the temporary file and renames it to `path`, as `AtomicFile.commit(_:flush:)` does for a part (no `fsync`).
func commitPartFile(_ fd: Int32, to path: String) {
    precondition(close(fd) == 0 && rename(path + ".tmp", path) == 0, "cannot write \(path)")
}
