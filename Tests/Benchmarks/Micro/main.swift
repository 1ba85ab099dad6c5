// Micro-benchmarks of calib's hot parts, from memory: the decimal parser
// (MB/s, against glibc's strtod on the same bytes), the whole read path of a
// CSV held in memory on one thread (MB/s), and the engine's accumulators
// alone (rows/s). Best of several runs; run by run_benchmarks.py, or:
//   swift run -c release CalibBenchmarks [--quick]
// Timing lives here and never in `swift test`. `--sketch`, `--write-csv` and
// `--audit` measure the score store beyond its budget instead
// (SketchMeasurement.swift); `--limit PATH` the machine's limit for a file:
// only line breaks found and numbers parsed (LimitMeasurement.swift);
// `--ranking-cost PATH` the audit with and without the score store
// (RankingCost.swift); `--part-cost PATH` the audit with and without a
// partial state written and merged (PartCost.swift).
import CalibCore
import CalibInput
import CalibTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

for (flag, measure) in [("--sketch", measureSketch), ("--write-csv", writeMeasurementCSV), ("--audit", auditMeasurementCSV),
                         ("--limit", measureLimit), ("--ranking-cost", measureRankingCost),
                         ("--part-cost", measurePartCost)] {
    if let at = CommandLine.arguments.firstIndex(of: flag) {
        measure(Array(CommandLine.arguments[(at + 1)...]))
        exit(0)
    }
}

let quick = CommandLine.arguments.contains("--quick")
let runs = quick ? 2 : 5
let clock = ContinuousClock()

/// The best wall time of `runs` runs of `body`, in seconds.
func bestSeconds(_ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<runs {
        let elapsed = clock.measure(body)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = min(best, seconds)
    }
    return best
}

func fixed(_ x: Double, _ digits: Int) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        _ = withVaList([x]) { vsnprintf(buffer.baseAddress!, 64, "%.\(digits)f", $0) }
        return String(cString: buffer.baseAddress!)
    }
}

/// `x` printed with 17 significant digits, as the benchmark files are.
func seventeenDigits(_ x: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        _ = withVaList([x]) { vsnprintf(buffer.baseAddress!, 64, "%.17g", $0) }
        return String(cString: buffer.baseAddress!)
    }
}

func row(_ name: String, _ value: String, _ note: String = "") {
    print(name.padding(58) + value.leftPadding(14) + "  " + note)
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}


// MARK: 1. The decimal parser

/// Values separated by NUL bytes, so strtod can read the same buffer in place.
func parserCorpus(_ count: Int, seed: UInt64, _ spell: (inout SeededGenerator) -> String) -> (bytes: [UInt8], fields: [Range<Int>]) {
    var generator = SeededGenerator(seed: seed)
    var bytes: [UInt8] = []
    var fields: [Range<Int>] = []
    for _ in 0..<count {
        let start = bytes.count
        bytes.append(contentsOf: spell(&generator).utf8)
        fields.append(start..<bytes.count)
        bytes.append(0)
    }
    return (bytes, fields)
}

let valueCount = quick ? 200_000 : 2_000_000
let corpora: [(String, (bytes: [UInt8], fields: [Range<Int>]))] = [
    ("probabilities, 17 significant digits", parserCorpus(valueCount, seed: 1) { g in seventeenDigits(Double.random(in: 0..<1, using: &g)) }),
    ("probabilities, shortest round trip", parserCorpus(valueCount, seed: 2) { g in "\(Double.random(in: 0..<1, using: &g))" }),
    ("logits, 6 decimals", parserCorpus(valueCount, seed: 3) { g in fixed(Double.random(in: -12...12, using: &g), 6) }),
    ("mixed: exponents, integers, 0 and 1", parserCorpus(valueCount, seed: 4) { g in
        switch Int.random(in: 0..<4, using: &g) {
        case 0: "\(Double.random(in: 1e-300...1e-5, using: &g))"
        case 1: "\(Int.random(in: 0...1, using: &g))"
        case 2: "\(Double.random(in: -1e6...1e6, using: &g))"
        default: seventeenDigits(Double.random(in: 0..<1, using: &g))
        }
    }),
]

print("decimal parser, \(valueCount) values each (MB/s of number text; ratio to strtod on the same bytes)")
for (name, corpus) in corpora {
    let textBytes = Double(corpus.bytes.count - corpus.fields.count)
    var ours = 0.0
    var mismatches = 0
    let oursSeconds = corpus.bytes.withUnsafeBufferPointer { all in
        bestSeconds {
            var sum = 0.0
            for field in corpus.fields {
                if case let .value(v) = DecimalParser.parse(UnsafeBufferPointer(rebasing: all[field])) { sum += v }
            }
            ours = sum
        }
    }
    var reference = 0.0
    let strtodSeconds = corpus.bytes.withUnsafeBufferPointer { all in
        all.withMemoryRebound(to: CChar.self) { text in
            bestSeconds {
                var sum = 0.0
                for field in corpus.fields { sum += strtod(text.baseAddress! + field.lowerBound, nil) }
                reference = sum
            }
        }
    }
    corpus.bytes.withUnsafeBufferPointer { all in
        all.withMemoryRebound(to: CChar.self) { text in
            for field in corpus.fields {
                let expected = strtod(text.baseAddress! + field.lowerBound, nil)
                guard case let .value(v) = DecimalParser.parse(UnsafeBufferPointer(rebasing: all[field])), v.bitPattern == expected.bitPattern else {
                    mismatches += 1
                    continue
                }
            }
        }
    }
    precondition(mismatches == 0 && ours == reference, "the parser disagrees with strtod on \(mismatches) values")
    row("  " + name, "\(Int(textBytes / oursSeconds / 1e6)) MB/s",
        "\(fixed(oursSeconds / Double(valueCount) * 1e9, 1)) ns/value; \(fixed(strtodSeconds / oursSeconds, 1))x strtod")
}

// The reader's read of a probability where its field starts, inside a row (`0.` and
// 17 digits, then a line break): the general prefix read against the loop-free one
// of the fused two-column path (`DecimalParser.probabilityPrefix`), same bits.
do {
    var generator = SeededGenerator(seed: 19)
    let text = Array((0..<valueCount).map { _ in seventeenDigits(Double.random(in: 0.1..<1, using: &generator)) + "\n" }.joined().utf8)
    func read(_ loopFree: Bool) -> (seconds: Double, sum: Double) {
        var sum = 0.0
        let seconds = text.withUnsafeBufferPointer { all in
            DecimalParser.probabilityPowers.withUnsafeBufferPointer { powers in
                bestSeconds {
                    var total = 0.0, i = 0, stop = 0
                    let base = all.baseAddress!, end = all.count
                    while i < end {
                        let value = (loopFree ? DecimalParser.probabilityPrefix(base, from: i, end: end, powers: powers.baseAddress!, stop: &stop) : nil)
                            ?? DecimalParser.prefixValue(base, from: i, end: end, stop: &stop)
                        total += value ?? 0
                        i = stop + 1
                    }
                    sum = total
                }
            }
        }
        return (seconds, sum)
    }
    let general = read(false), loopFree = read(true)
    precondition(general.sum == loopFree.sum, "the two reads of a probability disagree")
    row("  probabilities inside rows, loop-free read", "\(Int(Double(text.count) / loopFree.seconds / 1e6)) MB/s",
        "\(fixed(loopFree.seconds / Double(valueCount) * 1e9, 1)) ns/value; prefix read \(fixed(general.seconds / Double(valueCount) * 1e9, 1)) ns/value")
}

// MARK: 2. The read path from memory, one thread

func csv(rows: Int, classes: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: UInt64(classes))
    var text = classes == 2 ? "label,prob\n" : "label," + (0..<classes).map { "p_\($0)" }.joined(separator: ",") + "\n"
    text.reserveCapacity(rows * (classes == 2 ? 22 : 20 * classes))
    for _ in 0..<rows {
        if classes == 2 {
            let p = Double.random(in: 0..<1, using: &generator)
            text += "\(Double.random(in: 0..<1, using: &generator) < p ? 1 : 0),\(seventeenDigits(p))\n"
        } else {
            var raw = (0..<classes).map { _ in Double.random(in: 0.01..<1, using: &generator) }
            let total = raw.reduce(0, +)
            raw = raw.map { $0 / total }
            text += "\(Int.random(in: 0..<classes, using: &generator))," + raw.map(seventeenDigits).joined(separator: ",") + "\n"
        }
    }
    return Array(text.utf8)
}

let readRows = quick ? 100_000 : 1_000_000
print("\nread path from memory, one worker (CSV tokenizer, validation, engine)")
for (name, classes, rows) in [("binary label,prob", 2, readRows), ("10 classes label,p_0..p_9", 10, readRows / 5)] {
    let bytes = csv(rows: rows, classes: classes)
    var options = ReadOptions()
    options.threads = 1
    var audited = 0
    let seconds = bestSeconds {
        audited = (try? InputAudit.run(.bytes(bytes, name: "memory.csv"), options: options))?.result.rows ?? -1
    }
    precondition(audited == rows, "the in-memory audit read \(audited) of \(rows) rows")
    row("  " + name, "\(Int(Double(bytes.count) / seconds / 1e6)) MB/s", "\(fixed(Double(rows) / seconds / 1e6, 2))M rows/s")
}

// MARK: 3. The accumulators from memory

func table(rows: Int, classes: Int, kind: ScoreKind) -> PredictionTable {
    var generator = SeededGenerator(seed: UInt64(classes) * 7)
    var table = PredictionTable(shape: ClassificationShape(classCount: classes, scoreKind: kind), reservingCapacity: rows)
    var scores = [Double](repeating: 0, count: classes == 2 ? 1 : classes)
    for line in 0..<rows {
        if classes == 2 {
            let p = Double.random(in: 0..<1, using: &generator)
            scores[0] = kind == .logits ? log(p / (1 - p)) : p
            table.append(label: Double.random(in: 0..<1, using: &generator) < p ? 1 : 0, scores: scores, line: line + 2)
        } else {
            for c in 0..<classes { scores[c] = Double.random(in: 0.01..<1, using: &generator) }
            let total = scores.reduce(0, +)
            for c in 0..<classes { scores[c] = kind == .logits ? log(scores[c]) : scores[c] / total }
            table.append(label: Int.random(in: 0..<classes, using: &generator), scores: scores, line: line + 2)
        }
    }
    return table
}

let chunkRows = 8192
let repeats = quick ? 20 : 120
print("\naccumulators from memory, \(chunkRows)-row chunks × \(repeats), one thread (rows/s)")
for (name, classes, kind) in [("binary probabilities", 2, ScoreKind.probabilities), ("binary logits", 2, .logits),
                              ("10 classes probabilities", 10, .probabilities), ("10 classes logits", 10, .logits)] {
    let chunk = table(rows: chunkRows, classes: classes, kind: kind)
    for (lossName, losses) in [("all metrics and losses", LossSpecification.auditDefaults), ("without the imbalance losses", [])] {
        var counted = 0
        let seconds = bestSeconds {
            var total = AuditAccumulator(shape: chunk.shape, losses: losses)
            for _ in 0..<repeats {
                var part = AuditAccumulator(shape: chunk.shape, losses: losses)
                part.add(chunk)
                total.merge(part)
            }
            counted = total.count
        }
        precondition(counted == chunkRows * repeats)
        let perSecond = Double(counted) / seconds
        row("  \(name), \(lossName)", "\(fixed(perSecond / 1e6, 1))M rows/s", "\(fixed(1e9 / perSecond, 1)) ns/row")
    }
}

// MARK: 4. Ranking from the score store

let rankingRows = quick ? 1_000_000 : 10_000_000
print("\nranking from the score store, \(rankingRows) rows, one thread (sort and walk)")
for (name, skewed, tied) in [("uniform scores, all distinct", false, false), ("fraud-like scores (1% positives near 0)", true, false),
                              ("scores with 2 decimals", false, true)] {
    var generator = SeededGenerator(seed: 11)
    var scores = [Double](repeating: 0, count: rankingRows)
    var labels = [Int](repeating: 0, count: rankingRows)
    for i in 0..<rankingRows {
        let positive = Double.random(in: 0..<1, using: &generator) < (skewed ? 0.01 : 0.3)
        var s = Double.random(in: 0..<1, using: &generator)
        if skewed { s = positive ? s : s * s * s * 0.05 }
        if tied { s = (s * 100).rounded() / 100 }
        scores[i] = s
        labels[i] = positive ? 1 : 0
    }
    var store = ScoreStore(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities), settings: RankingSettings())
    store.append(scores: scores, labels: labels)
    var auc = 0.0
    let seconds = bestSeconds { auc = store.ranking(settings: RankingSettings()).rocAUC }
    row("  \(name)", "\(fixed(seconds * 1000, 0)) ms", "\(fixed(seconds * 1e9 / Double(rankingRows), 1)) ns/row, AUC \(fixed(auc, 4))")
}
