// The ranking's cost (issue 13: the default audit, ranking included, at
// least 0.8x the speed of the audit before it existed; that target is run_benchmarks.py --before-ranking), measured here in one process:
//   swift run -c release CalibBenchmarks --ranking-cost PATH [THREADS] [PAIRS]
// runs the audit's pipeline (InputAudit.audit, as `calib audit PATH
// --bootstrap 0` does, without rendering) on PATH alternately without the
// score store (no ranking, no sorted estimators of SPEC section 9) and with
// it (the default), PAIRS times each (default 7), on THREADS readers (default
// one per online core), and prints the median wall and CPU seconds
// (getrusage: user + system of every thread) of each, the wall seconds of
// the finish (what runs after the input is read), and their ratios.
// Alternating runs meet the same moments of a shared machine; CPU time moves
// less than wall time when other work shares the cores. Then, for a binary
// file of probabilities, the ranking alone (SPEC section 8: the per-bucket
// sorts and walks, `ScoreStore.takeRanking`, none of section 9's sorted
// estimators) on a store of the same rows (appended in chunks of 65,536),
// PAIRS times, so that the finish can be split into the ranking and the rest.
import CalibCore
import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// User + system CPU seconds of the process so far (every thread).
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func measureRankingCost(arguments: [String]) {
    guard let path = arguments.first else { print("usage: --ranking-cost PATH [THREADS] [PAIRS]"); return }
    var options = ReadOptions()
    if arguments.count > 1, let threads = Int(arguments[1]), threads > 0 { options.threads = threads }
    let pairs = arguments.count > 2 ? Swift.max(1, Int(arguments[2]) ?? 7) : 7
    /// (wall, CPU) seconds of one audit, the wall seconds of its finish
    /// (ranking and sorted estimators, after the input is read), and its
    /// ranking's AUC (to show both ran what they should).
    func once(_ ranking: RankingSettings?) -> (wall: Double, cpu: Double, finish: Double, auc: Double?) {
        let cpu = processCPUSeconds()
        var sums: InputAudit.Accumulated?
        var outcome: InputAudit.Outcome?
        let read = seconds { sums = try? InputAudit.accumulate(.file(path), options: options, ranking: ranking) }
        guard let sums else { print("the audit of \(path) failed"); exit(1) }
        let finish = seconds { outcome = sums.finish(threads: options.threads) }
        return (read + finish, processCPUSeconds() - cpu, finish, outcome!.result.ranking?.rocAUC)
    }
    _ = once(nil) // warm the page cache and the allocator
    var without: [(wall: Double, cpu: Double, finish: Double, auc: Double?)] = [], with = without
    for _ in 0..<pairs {
        without.append(once(nil))
        with.append(once(RankingSettings()))
    }
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    let wall0 = median(without.map(\.wall)), cpu0 = median(without.map(\.cpu))
    let wall1 = median(with.map(\.wall)), cpu1 = median(with.map(\.cpu))
    print("ranking cost on \(path), \(options.threads) thread\(options.threads == 1 ? "" : "s"), \(pairs) alternating pairs (medians):")
    print("  without the score store: \(fixed(wall0, 3)) s wall (finish \(fixed(median(without.map(\.finish)), 3)) s), \(fixed(cpu0, 3)) s CPU")
    print("  with it (default audit): \(fixed(wall1, 3)) s wall (finish \(fixed(median(with.map(\.finish)), 3)) s), \(fixed(cpu1, 3)) s CPU"
          + (with.last?.auc.map { " (ROC-AUC \(fixed($0, 9)))" } ?? ""))
    print("  speed with ranking: \(fixed(wall0 / wall1, 2))x in wall time, \(fixed(cpu0 / cpu1, 2))x in CPU time (a figure; issue 13's 0.8x is against the build before the ranking: run_benchmarks.py --before-ranking)")
    measureRankingAlone(path: path, options: options, pairs: pairs, finish: median(with.map(\.finish)), median: median)
}

/// The ranking alone (`ScoreStore.takeRanking`) of a binary file of
/// probabilities: median wall and CPU seconds of `pairs` runs on a store of
/// the file's rows, and its share of the default audit's finish.
func measureRankingAlone(path: String, options: ReadOptions, pairs: Int, finish: Double, median: ([Double]) -> Double) {
    guard let loaded = try? TableLoader.loadChunks(.file(path), options: options, rows: 1 << 16),
          let shape = loaded.chunks.first?.shape, shape.task == .binary, shape.scoreKind == .probabilities else {
        print("  (the ranking alone is measured on binary files of probabilities only)")
        return
    }
    let settings = RankingSettings()
    var store = ScoreStore(shape: shape, settings: settings)
    for chunk in loaded.chunks {
        store.append(scores: chunk.scores, labels: chunk.labels.map { Int($0) }, weights: chunk.weights.isEmpty ? nil : chunk.weights)
    }
    let runner = TableLoader.runner(threads: options.threads)
    var walls: [Double] = [], cpus: [Double] = []
    var auc = Double.nan
    for _ in 0..<pairs {
        var copy = store // shares the pieces: ranking reads them, never writes
        let cpu = processCPUSeconds()
        walls.append(seconds { auc = copy.takeRanking(settings: settings, runner: runner).rocAUC })
        cpus.append(processCPUSeconds() - cpu)
    }
    let wall = median(walls)
    print("  ranking alone (sorts and walks, no sorted estimators of section 9): \(fixed(wall, 3)) s wall, \(fixed(median(cpus), 3)) s CPU"
          + " (ROC-AUC \(fixed(auc, 9))), \(fixed(100 * wall / finish, 0))% of the finish")
}
