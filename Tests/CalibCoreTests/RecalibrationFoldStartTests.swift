@testable import CalibCore
import CalibTestSupport
import Dispatch
import Testing

/// The cross-fit's temperature (binary), Platt and beta folds on many rows
/// start Newton's method from `TemperatureFit.foldStarts` or
/// `LogisticFit.foldStarts` (each fold's fit to fine cells of its own rows;
/// Platt and beta skip the loss at that start): each must end where a fold
/// fitted from its own start ends, and read no row of the fold it leaves out.
@Suite("Recalibration: the folds' starts")
struct RecalibrationFoldStartTests {
    static let cases: [(String, RecalibrationMethod, PredictionTable)] = [
        ("Platt, 150,000 weighted rows", .platt, RecalibrationPropertyTests.binary(seed: 44, rows: 150_000, weighted: true)),
        ("Platt, 150,000 logit rows", .platt, RecalibrationPropertyTests.binary(seed: 45, rows: 150_000, logits: true)),
        ("beta, 150,000 rows", .beta, RecalibrationPropertyTests.binary(seed: 46, rows: 150_000)),
        ("beta, 150,000 weighted rows", .beta, RecalibrationPropertyTests.binary(seed: 47, rows: 150_000, weighted: true)),
        ("temperature, 150,000 weighted rows", .temperature, RecalibrationPropertyTests.binary(seed: 49, rows: 150_000, weighted: true)),
        ("temperature, 150,000 logit rows", .temperature, RecalibrationPropertyTests.binary(seed: 50, rows: 150_000, logits: true)),
    ]

    /// The folds' starts of `method` on a prepared table.
    static func starts(_ method: RecalibrationMethod, _ table: FitTable, runner: RankingRunner? = nil) -> [Calibrator.Parameters?]? {
        method == .temperature ? TemperatureFit.foldStarts(table, runner: runner)?.map { $0.map { .temperature($0) } }
            : LogisticFit.foldStarts(table, runner: runner)?.folds.map { $0.map(parameters) }
    }

    static func numbers(_ p: Calibrator.Parameters) -> [Double] {
        switch p {
        case let .temperature(t): [t]
        case let .platt(a, b): [a, b]
        case let .beta(a, b, c): [a, b, c]
        case let .isotonic(x, y), let .histogram(x, y): x + y
        }
    }

    static func parameters(_ theta: [Double]) -> Calibrator.Parameters {
        theta.count == 2 ? .platt(a: theta[0], b: theta[1]) : .beta(a: theta[0], b: theta[1], c: theta[2])
    }

    @Test("a fold's fit from its fine cells' start equals the fold fitted from its own compressed start, to 1e-10 relative; the start is within 1e-6",
          arguments: cases)
    func startedFoldEqualsColdFold(name: String, method: RecalibrationMethod, table: PredictionTable) throws {
        let prepared = FitTable(method, table, runner: nil)
        let starts = try #require(Self.starts(method, prepared), "\(name)")
        for fold in 0..<Recalibration.folds {
            let startParameters = try #require(starts[fold], "\(name), fold \(fold)")
            let start = Self.numbers(startParameters)
            let data = FitData(table: prepared, excludedFold: fold)
            let cold = Self.numbers(try Recalibration.fit(method, data: data, bins: 15))
            let started = Self.numbers(try Recalibration.fit(method, data: data, bins: 15, start: startParameters))
            #expect(zip(cold, started).allSatisfy { isClose($0, $1, relative: 1e-10, absolute: 1e-12) }, "\(name), fold \(fold): \(cold) cold, \(started) started")
            #expect(zip(cold, start).allSatisfy { isClose($0, $1, relative: 1e-6, absolute: 1e-8) }, "\(name), fold \(fold): \(cold) fitted, \(start) start")
        }
    }

    @Test("Platt's and beta's whole fit from every fold's fine cells equals the whole fit from the compressed cells' start, to 1e-10 relative",
          arguments: cases.filter { $0.1 != .temperature })
    func wholeFitFromFineCells(name: String, method: RecalibrationMethod, table: PredictionTable) throws {
        let prepared = FitTable(method, table, runner: nil)
        let data = FitData(table: prepared, excludedFold: nil)
        let fine = try LogisticFit.fit(data, method: method)
        let coarse = try LogisticFit.fit(data, method: method, fineStart: false)
        #expect(zip(coarse, fine).allSatisfy { isClose($0, $1, relative: 1e-10, absolute: 1e-12) }, "\(name): \(coarse) coarse, \(fine) fine")
        #expect(Self.numbers(try Recalibration.fit(method, data: data, bins: 15)).map(\.bitPattern) == fine.map(\.bitPattern),
                "\(name): Recalibration.fit takes the fine start")
        // The cross-fit hands the whole fit the start it would find on its own: the same bits.
        let whole = try #require(LogisticFit.foldStarts(prepared, runner: nil)?.whole, "\(name)")
        let handed = Self.numbers(try Recalibration.fit(method, data: data, bins: 15, start: Self.parameters(whole)))
        #expect(handed.map(\.bitPattern) == fine.map(\.bitPattern), "\(name): \(handed) from the cross-fit's start, \(fine) alone")
    }

    @Test("a fold's start and its rows' cross-fitted scores do not depend on that fold's labels, bit for bit", arguments: cases)
    func startsHoldOut(name: String, method: RecalibrationMethod, table: PredictionTable) throws {
        var labels = table.labels.map(Int.init)
        for i in Swift.stride(from: 3, to: labels.count, by: 5) { labels[i] = 1 - labels[i] }
        let flipped = PredictionTable.binary(labels: labels, scores: table.scores, weights: table.weights, kind: table.shape.scoreKind)
        let before = try #require(Self.starts(method, FitTable(method, table, runner: nil)))
        let after = try #require(Self.starts(method, FitTable(method, flipped, runner: nil)))
        #expect(before[3] == after[3] && before[0] != after[0], "\(name)")
        let first = try Recalibration.crossFitted(method, table: table)
        let second = try Recalibration.crossFitted(method, table: flipped)
        let heldOut = Swift.stride(from: 3, to: labels.count, by: 5)
        #expect(heldOut.allSatisfy { first.scores[$0].bitPattern == second.scores[$0].bitPattern }, "\(name)")
    }

    @Test("the folds' starts and the cross-fitted scores are the same bits on several threads", arguments: cases)
    func threaded(name: String, method: RecalibrationMethod, table: PredictionTable) throws {
        let runner: RankingRunner = { count, body in DispatchQueue.concurrentPerform(iterations: count) { body($0) } }
        let prepared = FitTable(method, table, runner: nil)
        #expect(Self.starts(method, prepared)! == Self.starts(method, prepared, runner: runner)!, "\(name)")
        let serial = try Recalibration.fitAndCrossFit(method, table: table, classes: ["0", "1"])
        let parallel = try Recalibration.fitAndCrossFit(method, table: table, classes: ["0", "1"], runner: runner)
        #expect(serial.calibrator == parallel.calibrator, "\(name)")
        #expect(serial.crossFitted.scores.map(\.bitPattern) == parallel.crossFitted.scores.map(\.bitPattern), "\(name)")
    }

    @Test("tables of at most 4 × 32,768 rows, and multiclass tables, have no folds' starts: their folds start as a fit does",
          arguments: [
              ("Platt, 3,000 rows", RecalibrationMethod.platt, RecalibrationPropertyTests.binary(seed: 48, rows: 3000)),
              ("beta, 131,072 rows", .beta, RecalibrationPropertyTests.binary(seed: 48, rows: 131_072)),
              ("temperature, 131,072 rows", .temperature, RecalibrationPropertyTests.binary(seed: 48, rows: 131_072)),
              ("temperature, 140,000 rows of 4 classes", .temperature, RecalibrationPropertyTests.multiclass(seed: 34, rows: 140_000, classes: 4, logits: false)),
          ])
    func smallTablesStartAsBefore(name: String, method: RecalibrationMethod, table: PredictionTable) {
        #expect(Self.starts(method, FitTable(method, table, runner: nil)) == nil, "\(name)")
    }

    static let clustered: [Double] = (0..<2000).map { (i: Int) -> Double in 0.3 + 1e-9 * Double(i * i % 7919) + Double(i) * 1e-4 }.sorted()
    static let denseMiddle: [Double] = [0.0, 1e-300, 1e-12] + (1...5000).map { (i: Int) -> Double in 0.5 + Double(i) * 1e-13 } + [0.75, 1.0]
    static let thresholdCases: [(String, [Double])] = [
        ("3 thresholds", [0.1, 0.5, 0.9]),
        ("2 thresholds 1 ulp apart", [0.5, 0.5.nextUp]),
        ("2,000 clustered thresholds", clustered),
        ("thresholds spanning 0 to 1 with a dense middle", denseMiddle),
    ]

    @Test("the indexed isotonic lookup is scikit-learn's interpolation bit for bit: at, between, beside and beyond every threshold",
          arguments: thresholdCases)
    func indexedLookup(name: String, thresholds: [Double]) throws {
        let values = thresholds.indices.map { Double($0 * $0 % 97) / 97 }.sorted()
        let index = try #require(ThresholdIndex(thresholds: thresholds, values: values), "\(name)")
        var queries: [Double] = [-1, 0, 1, 2, 0.5, 0.25, .leastNonzeroMagnitude]
        for x in thresholds { queries += [x, x.nextUp, x.nextDown, x + 1e-7, x - 1e-7] }
        var rng = SeededGenerator(seed: 51)
        for _ in 0..<10_000 { queries.append(Double.random(in: thresholds.first!...thresholds.last!, using: &rng)) }
        let mismatches = queries.filter {
            index.lookup.interpolate($0).bitPattern != IsotonicFit.interpolate($0, thresholds: thresholds, values: values).bitPattern
        }
        withExtendedLifetime(index) {}
        #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(5))")
    }

    @Test("isotonic cross-fitted scores on 300,000 rows (indexed lookups) are each fold's calibrator applied, bit for bit")
    func isotonicCrossFitIndexed() throws {
        let table = RecalibrationPropertyTests.binary(seed: 52, rows: 300_000, weighted: true)
        let prepared = FitTable(.isotonic, table, runner: nil)
        let names = ["0", "1"]
        let folds = try (0..<Recalibration.folds).map { fold in
            Calibrator(classes: names, parameters: try Recalibration.fit(.isotonic, data: FitData(table: prepared, excludedFold: fold), bins: 15))
        }
        let crossFitted = try Recalibration.crossFitted(.isotonic, table: table)
        let differing = (0..<table.count).filter {
            crossFitted.scores[$0].bitPattern != folds[$0 % Recalibration.folds].applyBinary(table.scores[$0], kind: .probabilities, as: .probabilities).bitPattern
        }
        #expect(differing.isEmpty, "rows \(differing.prefix(5))")
    }
}
