import CalibCore
import CalibInput
import CalibTestSupport
import Testing

/// The intervals of SPEC section 10 through the whole read path: the same
/// bits for any thread count and on a second run; for any block and chunk
/// size the same Poisson counts (each row's are keyed by its line, not by
/// where a block cuts), so the intervals agree to 1e-12 (relative, or absolute
/// for values near 0 such as calibration-in-the-large, a difference of two
/// sums), as every sum of the audit does (a chunk's plain sum rounds by where it is cut);
/// different but equivalent intervals with another seed.
@Suite("Bootstrap intervals through the pipeline: threads, blocks, seeds")
struct BootstrapPipelineTests {
    static func bootstrap(_ text: String, threads: Int = 1, blockBytes: Int = 2 << 20, chunkRows: Int = 8192, weighted: Bool = false,
                          settings: BootstrapSettings = BootstrapSettings(replicates: 60, seed: 3)) throws -> BootstrapResult {
        var options = ReadOptions()
        options.threads = threads
        options.blockBytes = blockBytes
        options.chunkRows = chunkRows
        if weighted { options.weight = "w" }
        let (result, _) = try InputAudit.run(.bytes(Array(text.utf8), name: "bootstrap.csv"), options: options,
                                             ranking: RankingSettings(), bootstrap: settings)
        return try #require(result.bootstrap)
    }

    /// The keys whose intervals or replicates differ in any bit (or by more
    /// than `relative`), and the bins whose intervals do.
    static func differences(_ a: BootstrapResult, _ b: BootstrapResult, relative: Double = 0) -> [String] {
        func same(_ x: Double, _ y: Double) -> Bool {
            x.bitPattern == y.bitPattern || (relative > 0 && isClose(x, y, relative: relative, absolute: relative))
        }
        func same(_ x: MetricInterval?, _ y: MetricInterval?) -> Bool {
            switch (x, y) {
            case (nil, nil): true
            case let (x?, y?): same(x.lower, y.lower) && same(x.upper, y.upper)
            default: false
            }
        }
        var out = zip(a.entries, b.entries).filter { x, y in
            x.key.name != y.key.name || !same(x.interval, y.interval) || !same(x.estimate, y.estimate)
                || x.replicates.count != y.replicates.count || !zip(x.replicates, y.replicates).allSatisfy { same($0, $1) }
        }.map { $0.0.key.name }
        if a.entries.count != b.entries.count { out.append("entry count") }
        let binsA = a.reliabilityBins + (a.positiveReliabilityBins ?? []), binsB = b.reliabilityBins + (b.positiveReliabilityBins ?? [])
        if binsA.count != binsB.count || !zip(binsA, binsB).allSatisfy({ same($0, $1) }) { out.append("bins") }
        return out
    }

    struct Case: CustomTestStringConvertible {
        let name: String
        let text: String
        let weighted: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "binary", text: RankingPipelineTests.binaryFile(rows: 6000, seed: 11, weighted: false), weighted: false),
        Case(name: "binary weighted", text: RankingPipelineTests.binaryFile(rows: 6000, seed: 12, weighted: true), weighted: true),
        Case(name: "multiclass", text: RankingPipelineTests.multiclassFile(rows: 4000, seed: 13), weighted: false),
    ]

    @Test("1, 2 or 3 threads give the same intervals and replicates, bit for bit", arguments: cases)
    func threadCounts(file: Case) throws {
        let one = try Self.bootstrap(file.text, threads: 1, blockBytes: 16_384, weighted: file.weighted)
        for threads in [2, 3] {
            let many = try Self.bootstrap(file.text, threads: threads, blockBytes: 16_384, weighted: file.weighted)
            let differing = Self.differences(many, one)
            #expect(differing.isEmpty, "\(file.name), \(threads) threads: \(differing.prefix(5))")
        }
    }

    @Test("blocks and chunks that cut the rows anywhere give the same intervals to 1e-12", arguments: cases)
    func blockSizes(file: Case) throws {
        let whole = try Self.bootstrap(file.text, weighted: file.weighted)
        for (blockBytes, chunkRows) in [(4099, 97), (16_384, 8192), (65_521, 1)] {
            let cut = try Self.bootstrap(file.text, threads: 2, blockBytes: blockBytes, chunkRows: chunkRows, weighted: file.weighted)
            let differing = Self.differences(cut, whole, relative: 1e-12)
            #expect(differing.isEmpty, "\(file.name), blocks of \(blockBytes) bytes, chunks of \(chunkRows) rows: \(differing.prefix(5))")
        }
    }

    @Test("a second run gives the same intervals, bit for bit")
    func repeated() throws {
        let text = Self.cases[0].text
        #expect(Self.differences(try Self.bootstrap(text), try Self.bootstrap(text)).isEmpty)
    }

    @Test("another seed gives other replicates, and intervals of about the same width")
    func seeds() throws {
        let text = RankingPipelineTests.binaryFile(rows: 6000, seed: 14, weighted: false)
        let a = try Self.bootstrap(text, settings: BootstrapSettings(replicates: 200, seed: 1))
        let b = try Self.bootstrap(text, settings: BootstrapSettings(replicates: 200, seed: 2))
        for key in ["crossEntropy", "brier", "accuracy", "ece", "ranking.rocAUC"] {
            let x = try #require(a.interval(key)), y = try #require(b.interval(key))
            #expect(x != y, "\(key): seeds 1 and 2 draw different replicates")
            let ratio = (x.upper - x.lower) / (y.upper - y.lower)
            // With R = 200 an end's Monte Carlo error is about 5% of the width; 25% is five of them.
            #expect(ratio > 0.75 && ratio < 1.0 / 0.75, "\(key): widths \(x.upper - x.lower) and \(y.upper - y.lower)")
        }
    }

    @Test("--bootstrap 0 keeps no replicates: no intervals")
    func off() throws {
        let text = Self.cases[0].text
        let (result, _) = try InputAudit.run(.bytes(Array(text.utf8), name: "bootstrap.csv"), ranking: RankingSettings(), bootstrap: nil)
        #expect(result.bootstrap == nil)
    }

    struct NegativeZeroCase: CustomStringConvertible, Sendable {
        let description: String
        let withMinusZero: String
        let withZero: String
    }

    static let negativeZeros = [
        NegativeZeroCase(description: "binary probability -0 (fused reader)", withMinusZero: "label,prob\n1,-0\n0,0.3\n1,0.9\n0,0.1\n1,0.6\n",
                         withZero: "label,prob\n1,0\n0,0.3\n1,0.9\n0,0.1\n1,0.6\n"),
        NegativeZeroCase(description: "binary probability -0.0, quoted (record path)", withMinusZero: "label,prob\n\"1\",-0.0\n0,0.3\n1,0.9\n0,0.1\n1,0.6\n",
                         withZero: "label,prob\n\"1\",0.0\n0,0.3\n1,0.9\n0,0.1\n1,0.6\n"),
        NegativeZeroCase(description: "a class probability -0 in a multiclass row",
                         withMinusZero: "label,p_a,p_b,p_c\na,-0,0.4,0.6\nb,0.2,0.5,0.3\nc,0.1,0.1,0.8\na,0.7,0.2,0.1\n",
                         withZero: "label,p_a,p_b,p_c\na,0,0.4,0.6\nb,0.2,0.5,0.3\nc,0.1,0.1,0.8\na,0.7,0.2,0.1\n"),
    ]

    @Test("a probability of -0 is the probability 0: the same intervals, no crash", arguments: negativeZeros)
    func negativeZero(_ c: NegativeZeroCase) throws {
        let minus = try Self.bootstrap(c.withMinusZero), plus = try Self.bootstrap(c.withZero)
        #expect(Self.differences(minus, plus).isEmpty)
    }

    @Test("weights whose sums overflow: the sorted estimators get no replicates, and say why, instead of trapping")
    func overflowingWeights() throws {
        let rows = (0..<7).map { _ in "a,0.2,0.3,0.5,1e308" }.joined(separator: "\n")
        let result = try Self.bootstrap("label,p_a,p_b,p_c,w\n" + rows + "\nb,0.3,0.3,0.4,1\n", weighted: true)
        #expect(result.sortedUnavailableReason == "the weights' sums are not finite")
    }
}
