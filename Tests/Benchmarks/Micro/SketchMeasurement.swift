// The score store beyond its budget, measured (not part of the default run):
//   swift run -c release CalibBenchmarks --sketch ROWS BUDGET_MIB [exact] [DISTRIBUTION]
// streams ROWS generated rows (1M-row chunks, seeded) of each distribution
// into a store with a budget of BUDGET_MIB MiB and, with `exact`, into an
// unbounded one as well, and prints the sketch's size, time, and its AUC and
// average-precision errors against the exact values next to `maxAUCError`.
// Without `exact` only the bounded store is kept, so that
// `/usr/bin/time -f %M` shows the peak RSS of streaming beyond the budget.
// `--write-csv PATH ROWS` and `--audit PATH [BUDGET_MIB|none]` do the same
// through the whole read path (InputAudit) on a file.
import CalibCore
import CalibInput
import CalibTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Score distributions of real models (binary), seeded.
enum SketchDistribution: String, CaseIterable {
    /// Tests/Benchmarks/make_data.py's model: `z ~ N(−2, 1.6)`, `s = σ(z)`, `y ~ Bernoulli(σ(0.8 z))`.
    case benchmarkModel = "benchmark-model"
    /// 0.5% positives, logistic scores: negatives `z ~ N(−7, 1.5)`, positives `z ~ N(−1.5, 2)`.
    case fraudLogistic = "fraud-logistic"
    /// 1% positives `s ~ U(0, 1)`; negatives `0.05·u³`, piled up near 0 (the micro-benchmark's).
    case fraudSkewed = "fraud-skewed"
    /// `s ~ U(0, 1)`, `y ~ Bernoulli(s)`.
    case uniform
    /// The benchmark model's scores rounded to 4 decimals.
    case rounded4 = "rounded-4-decimals"

    func fill(scores: inout [Double], labels: inout [Int], generator g: inout SeededGenerator) {
        func normal() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &g), v = Double.random(in: 0..<1, using: &g)
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        for i in scores.indices {
            switch self {
            case .benchmarkModel, .rounded4:
                let z = normal() * 1.6 - 2
                labels[i] = Double.random(in: 0..<1, using: &g) < sigmoid(0.8 * z) ? 1 : 0
                scores[i] = self == .rounded4 ? (sigmoid(z) * 10_000).rounded() / 10_000 : sigmoid(z)
            case .fraudLogistic:
                let y = Double.random(in: 0..<1, using: &g) < 0.005
                labels[i] = y ? 1 : 0
                scores[i] = sigmoid(y ? normal() * 2 - 1.5 : normal() * 1.5 - 7)
            case .fraudSkewed:
                let y = Double.random(in: 0..<1, using: &g) < 0.01
                let u = Double.random(in: 0..<1, using: &g)
                labels[i] = y ? 1 : 0
                scores[i] = y ? u : u * u * u * 0.05
            case .uniform:
                let s = Double.random(in: 0..<1, using: &g)
                labels[i] = Double.random(in: 0..<1, using: &g) < s ? 1 : 0
                scores[i] = s
            }
        }
    }
}

func measureSketch(arguments: [String]) {
    let rows = arguments.first.flatMap { Int($0) } ?? 10_000_000
    let budget = (arguments.dropFirst().first.flatMap { Int($0) } ?? 256) << 20
    let withExact = arguments.contains("exact")
    let only = SketchDistribution.allCases.filter { arguments.contains($0.rawValue) }
    let shape = ClassificationShape(classCount: 2, scoreKind: .probabilities)
    let settings = RankingSettings(memoryBudget: budget)
    let unbounded = RankingSettings(memoryBudget: Int.max)
    print("score store beyond its budget: \(rows) rows, budget \(budget >> 20) MiB\(withExact ? ", against the exact store" : "")")
    for distribution in only.isEmpty ? SketchDistribution.allCases : only {
        var generator = SeededGenerator(seed: 2026)
        var sketch = ScoreStore(shape: shape, settings: settings)
        var exact = withExact ? ScoreStore(shape: shape, settings: unbounded) : nil
        let chunk = 1_000_000
        var scores = [Double](repeating: 0, count: chunk), labels = [Int](repeating: 0, count: chunk)
        var appendSeconds = 0.0
        var done = 0
        while done < rows {
            let n = Swift.min(chunk, rows - done)
            if n < chunk { scores.removeLast(chunk - n); labels.removeLast(chunk - n) }
            distribution.fill(scores: &scores, labels: &labels, generator: &generator)
            appendSeconds += seconds { sketch.append(scores: scores, labels: labels) }
            exact?.append(scores: scores, labels: labels)
            done += n
        }
        var ranked: RankingMetrics?
        let storeExact = sketch.isExact, storeBytes = sketch.bytes
        let rankSeconds = seconds { ranked = sketch.takeRanking(settings: settings) }
        let s = ranked!
        print("  \(distribution.rawValue): store \(storeExact ? "exact" : "sketch") \(storeBytes / 1024) KiB, exact=\(s.exact), "
              + "maxAUCError \(scientific(s.maxAUCError)); append \(fixed(appendSeconds, 2)) s (\(fixed(appendSeconds * 1e9 / Double(rows), 1)) ns/row), "
              + "ranking \(fixed(rankSeconds * 1000, 0)) ms")
        guard var exact else { continue }
        let e = exact.takeRanking(settings: unbounded)
        let errors = [("AUC", s.rocAUC, e.rocAUC), ("AP", s.averagePrecision, e.averagePrecision),
                      ("negative-class AUC", s.perClass[0].rocAUC, e.perClass[0].rocAUC),
                      ("negative-class AP", s.perClass[0].averagePrecision, e.perClass[0].averagePrecision)]
        let largest = errors.map { Swift.abs($0.1 - $0.2) }.max() ?? 0
        print("    exact AUC \(fixed(e.rocAUC, 6)), AP \(fixed(e.averagePrecision, 6)); errors "
              + errors.map { "\($0.0) \(scientific(Swift.abs($0.1 - $0.2)))" }.joined(separator: ", ")
              + "; bound/largest error \(largest > 0 ? fixed(s.maxAUCError / largest, 1) : "∞")"
              + (largest <= s.maxAUCError ? "" : "  BOUND VIOLATED"))
    }
}

func seconds(_ body: () -> Void) -> Double {
    let elapsed = ContinuousClock().measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

func scientific(_ x: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        _ = withVaList([x]) { vsnprintf(buffer.baseAddress!, 64, "%.2e", $0) }
        return String(cString: buffer.baseAddress!)
    }
}

/// `--write-csv PATH ROWS`: writes `label,prob` rows of the benchmark model (seeded) for `--audit`.
func writeMeasurementCSV(arguments: [String]) {
    guard arguments.count >= 2, let rows = Int(arguments[1]), let file = fopen(arguments[0], "w") else {
        print("usage: --write-csv PATH ROWS")
        return
    }
    defer { fclose(file) }
    var generator = SeededGenerator(seed: 2026)
    let chunk = 1_000_000
    var scores = [Double](repeating: 0, count: chunk), labels = [Int](repeating: 0, count: chunk)
    var text = "label,prob\n"
    var done = 0
    while done < rows {
        let n = Swift.min(chunk, rows - done)
        SketchDistribution.benchmarkModel.fill(scores: &scores, labels: &labels, generator: &generator)
        for i in 0..<n { text += "\(labels[i]),\(scores[i])\n" }
        _ = text.withCString { fputs($0, file) }
        text = ""
        done += n
    }
}

/// `--audit PATH [BUDGET_MIB|none]`: the whole read path (InputAudit, all threads) with the ranking
/// section and a store of that budget (default 256 MiB), or without ranking (`none`).
func auditMeasurementCSV(arguments: [String]) {
    guard let path = arguments.first else { print("usage: --audit PATH [BUDGET_MIB|none]"); return }
    let budgetArgument = arguments.dropFirst().first ?? "256"
    let ranking = budgetArgument == "none" ? nil : RankingSettings(memoryBudget: (Int(budgetArgument) ?? 256) << 20)
    var outcome: (result: AuditResult, input: InputSummary)?
    let elapsed = seconds { outcome = try? InputAudit.run(.file(path), ranking: ranking) }
    guard let outcome else { print("the audit failed"); return }
    let r = outcome.result.ranking
    print("audit of \(outcome.input.rows) rows in \(fixed(elapsed, 2)) s"
          + (r.map { ": ranking exact=\($0.exact), maxAUCError \(scientific($0.maxAUCError)), AUC \(fixed($0.rocAUC, 9)), AP \(fixed($0.averagePrecision, 9))" } ?? ", no ranking"))
}
