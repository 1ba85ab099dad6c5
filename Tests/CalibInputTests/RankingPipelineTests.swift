import CalibCore
import CalibInput
import CalibTestSupport
import Testing

/// The ranking section through the whole read path (`InputAudit` with
/// ranking settings): the same bytes out for any thread count and block
/// size, exact store or sketch; and the edge cases of SPEC section 8 on
/// small files (a class absent, one row, scores 0 and 1, alert budgets
/// beyond the file).
@Suite("Ranking through the pipeline: threads, blocks, edge cases")
struct RankingPipelineTests {
    /// `rows` binary rows `id,label,prob[,w]` with scores `U(0, 1)`, labels `Bernoulli(s)`.
    static func binaryFile(rows: Int, seed: UInt64, weighted: Bool) -> String {
        var g = SeededGenerator(seed: seed)
        var out = weighted ? "id,label,prob,w\n" : "id,label,prob\n"
        for i in 0..<rows {
            let s = Double.random(in: 0..<1, using: &g)
            let y = Double.random(in: 0..<1, using: &g) < s ? 1 : 0
            out += "r\(i),\(y),\(s)" + (weighted ? ",\(i % 13 == 0 ? 0 : Double.random(in: 0.1..<3, using: &g))\n" : "\n")
        }
        return out
    }

    /// `rows` rows of 3 classes `label,p_a,p_b,p_c`, scores leaning towards the label.
    static func multiclassFile(rows: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        var out = "label,p_a,p_b,p_c\n"
        for _ in 0..<rows {
            let y = Int.random(in: 0..<3, using: &g)
            var raw = (0..<3).map { _ in Double.random(in: 0.01..<1, using: &g) }
            raw[y] += 1
            let total = raw.reduce(0, +)
            out += ["a", "b", "c"][y] + "," + raw.map { "\($0 / total)" }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func ranking(_ text: String, threads: Int = 1, blockBytes: Int = 2 << 20, weighted: Bool = false,
                        settings: RankingSettings = RankingSettings()) throws -> RankingMetrics {
        var options = ReadOptions()
        options.threads = threads
        options.blockBytes = blockBytes
        options.chunkRows = 97
        if weighted { options.weight = "w" }
        let (result, _) = try InputAudit.run(.bytes(Array(text.utf8), name: "ranking.csv"), options: options, ranking: settings)
        return try #require(result.ranking)
    }

    static let costs = MisclassificationCosts(falsePositive: 1, falseNegative: 9)!

    // MARK: The same output for any threads and blocks

    struct Case: CustomTestStringConvertible {
        let name: String
        let text: String
        let weighted: Bool
        let budget: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "binary, exact", text: binaryFile(rows: 20_000, seed: 1, weighted: false), weighted: false, budget: RankingSettings.defaultMemoryBudget),
        Case(name: "binary weighted, exact", text: binaryFile(rows: 20_000, seed: 2, weighted: true), weighted: true, budget: RankingSettings.defaultMemoryBudget),
        Case(name: "binary, sketch", text: binaryFile(rows: 20_000, seed: 3, weighted: false), weighted: false, budget: 64 << 10),
        Case(name: "binary weighted, sketch", text: binaryFile(rows: 20_000, seed: 4, weighted: true), weighted: true, budget: 64 << 10),
        Case(name: "multiclass, exact", text: multiclassFile(rows: 8000, seed: 5), weighted: false, budget: RankingSettings.defaultMemoryBudget),
        Case(name: "multiclass, sketch", text: multiclassFile(rows: 8000, seed: 6), weighted: false, budget: 64 << 10),
    ]

    @Test("1, 2 or 3 threads give the same ranking, bit for bit", arguments: cases)
    func threadCounts(file: Case) throws {
        let settings = RankingSettings(costs: Self.costs, memoryBudget: file.budget)
        let one = try Self.ranking(file.text, threads: 1, blockBytes: 8192, weighted: file.weighted, settings: settings)
        #expect(one.exact == (file.budget == RankingSettings.defaultMemoryBudget), "\(file.name): the store spills only past its budget")
        for threads in [2, 3] {
            let many = try Self.ranking(file.text, threads: threads, blockBytes: 8192, weighted: file.weighted, settings: settings)
            let differing = rankingDifferences(many, one)
            #expect(differing.isEmpty, "\(file.name), \(threads) threads: \(differing.prefix(3))")
        }
    }

    @Test("any block size gives the same ranking (bit for bit while exact or with unit weights)", arguments: cases)
    func blockSizes(file: Case) throws {
        let settings = RankingSettings(costs: Self.costs, memoryBudget: file.budget)
        let whole = try Self.ranking(file.text, threads: 2, blockBytes: 1 << 22, weighted: file.weighted, settings: settings)
        for blockBytes in [300, 5000, 65536] {
            let cut = try Self.ranking(file.text, threads: 2, blockBytes: blockBytes, weighted: file.weighted, settings: settings)
            // A weighted sketch sums each bucket's weights in another grouping when the store spills at another row.
            let relative: Double? = file.weighted && file.budget < RankingSettings.defaultMemoryBudget ? 1e-12 : nil
            let differing = rankingDifferences(cut, whole, relative: relative)
            #expect(differing.isEmpty, "\(file.name), blocks of \(blockBytes) bytes: \(differing.prefix(3))")
        }
    }

    // MARK: Edge cases on small files

    @Test("without positives AUC and AP are undefined (NaN), the negative class's AP is 1, nothing crashes")
    func noPositives() throws {
        let r = try Self.ranking("label,prob\n0,0.9\n0,0.1\n0,0.5\n0,0.5\n", settings: RankingSettings(costs: Self.costs))
        #expect(r.rocAUC.isNaN && r.averagePrecision.isNaN && r.positiveRate == 0)
        #expect(r.perClass[1].rocAUC.isNaN && r.perClass[1].averagePrecision.isNaN)
        #expect(r.perClass[0].rocAUC.isNaN && r.perClass[0].averagePrecision == 1, "scikit-learn: AP 1 when every row is of the class")
        #expect(r.recallAtPrecision.allSatisfy { $0.recall.isNaN && $0.threshold.isNaN })
        #expect(r.recallAtFPR.allSatisfy { $0.recall.isNaN && $0.threshold.isNaN }, "no TPR without positives")
        #expect(r.recallAtTop.allSatisfy { $0.recall.isNaN && $0.threshold == 0.9 && $0.flaggedFraction == 0.25 })
        #expect(r.sweep.allSatisfy { $0.tp == 0 && $0.fn == 0 && $0.recall == 0 })
        #expect(r.sweep[49].fp == 3 && r.sweep[49].tn == 1, "s ≥ 0.5 flags 3 rows")
        #expect(r.exact && r.maxAUCError == 0)
        let cost = try #require(r.cost)
        #expect(cost.bestThreshold == .infinity && cost.bestCost == 0 && cost.costAtBayesThreshold == 1, "flagging nothing costs nothing; s ≥ 0.1 flags all 4")
    }

    @Test("without negatives AUC is undefined, AP is 1 and no false-positive rate exists")
    func noNegatives() throws {
        let r = try Self.ranking("label,prob\n1,0.9\n1,0.2\n1,0.5\n")
        #expect(r.rocAUC.isNaN && r.averagePrecision == 1 && r.positiveRate == 1)
        #expect(r.perClass[0].rocAUC.isNaN && r.perClass[0].averagePrecision.isNaN)
        #expect(r.recallAtFPR.allSatisfy { $0.recall.isNaN && $0.fpr.isNaN })
        #expect(r.recallAtPrecision.allSatisfy { $0.recall == 1 && $0.precision == 1 && $0.threshold == 0.2 })
    }

    @Test("a multiclass class without rows: its AUC and AP are NaN, the macro means average the classes where they are defined")
    func multiclassAbsentClass() throws {
        // Class c has a score column but no row. scikit-learn 1.9.1 gives a macro AUC of nan here
        // (the mean of [AUC_a, AUC_b, nan]) and counts c's AP as 0; calib averages over a and b.
        let text = "label,p_a,p_b,p_c\na,0.7,0.2,0.1\nb,0.2,0.7,0.1\na,0.5,0.3,0.2\nb,0.4,0.5,0.1\na,0.3,0.4,0.3\nb,0.35,0.3,0.35\n"
        let r = try Self.ranking(text)
        #expect(r.perClass.count == 3)
        #expect(r.perClass[2].rocAUC.isNaN && r.perClass[2].averagePrecision.isNaN)
        let a = r.perClass[0], b = r.perClass[1]
        #expect(!a.rocAUC.isNaN && !b.rocAUC.isNaN)
        // Ranked by p_a: a's scores 0.7, 0.5, 0.3 against b's 0.2, 0.4, 0.35: 7 of 9 pairs.
        #expect(isClose(a.rocAUC, 7.0 / 9, relative: 1e-15))
        #expect(isClose(r.rocAUC, (a.rocAUC + b.rocAUC) / 2, relative: 1e-15))
        #expect(isClose(r.weightedROCAUC, (3 * a.rocAUC + 3 * b.rocAUC) / 6, relative: 1e-15), "support-weighted: c weighs 0")
        #expect(isClose(r.averagePrecision, (a.averagePrecision + b.averagePrecision) / 2, relative: 1e-15))
        #expect(r.positiveRate.isNaN && r.sweep.isEmpty && r.cost == nil, "binary-only keys")
    }

    @Test("a single row", arguments: [(1, 1.0), (0, .nan)])
    func singleRow(label: Int, averagePrecision: Double) throws {
        let r = try Self.ranking("label,prob\n\(label),0.7\n", settings: RankingSettings(topFractions: [0.001, 1, 1.5]))
        #expect(r.rocAUC.isNaN)
        #expect(isClose(r.averagePrecision, averagePrecision))
        #expect(r.recallAtTop[0].threshold == 0.7 && r.recallAtTop[0].flaggedFraction == 1, "the one row is the top")
        #expect(r.recallAtTop[1].threshold == 0.7)
        #expect(r.recallAtTop[2].threshold.isNaN && r.recallAtTop[2].flaggedFraction.isNaN, "no threshold flags 1.5 of the weight")
        #expect(r.sweep[69].tp + r.sweep[69].fp == 1 && r.sweep[70].tp + r.sweep[70].fp == 0, "0.7 flagged at t = 0.70, not at 0.71")
    }

    @Test("scores of only 0 and 1: two tied groups, as scikit-learn")
    func zeroOrOne() throws {
        let r = try Self.ranking("label,prob\n1,1\n1,1\n0,1\n1,0\n0,0\n0,0\n0,0\n")
        // roc_auc_score, average_precision_score (and for the negative class on 1 − s), scikit-learn 1.9.1.
        #expect(isClose(r.rocAUC, 0.7083333333333334, relative: 1e-15))
        #expect(isClose(r.averagePrecision, 0.5873015873015873, relative: 1e-15))
        #expect(isClose(r.perClass[0].rocAUC, 0.7083333333333334, relative: 1e-15))
        #expect(isClose(r.perClass[0].averagePrecision, 0.7053571428571428, relative: 1e-15))
        #expect(r.sweep.allSatisfy { $0.tp == 2 && $0.fp == 1 && $0.fn == 1 && $0.tn == 3 }, "every threshold in (0, 1) flags the 1s")
        #expect(r.recallAtTop.allSatisfy { $0.threshold == 1 && isClose($0.flaggedFraction, 3.0 / 7) }, "ties at the threshold are all flagged")
    }

    @Test("alert budgets beyond the file: the default budgets flag one row of ten, a budget of 1 every row, above 1 none")
    func budgetsBeyondTheFile() throws {
        let text = "label,prob\n" + (0..<10).map { "\($0 % 3 == 0 ? 1 : 0),\(Double($0 + 1) / 20)" }.joined(separator: "\n") + "\n"
        let defaults = try Self.ranking(text)
        #expect(defaults.recallAtTop.map(\.fraction) == RankingSettings.defaultTopFractions)
        for point in defaults.recallAtTop {
            #expect(point.threshold == 0.5 && point.flaggedFraction == 0.1, "\(point.fraction): the highest score's row, 0.1 ≥ \(point.fraction)")
            #expect(point.recall == 0.25 && point.precision == 1, "row 9 (0.5) is positive, of 4 positives")
        }
        let beyond = try Self.ranking(text, settings: RankingSettings(topFractions: [1, 2]))
        #expect(beyond.recallAtTop[0].threshold == 0.05 && beyond.recallAtTop[0].flaggedFraction == 1 && beyond.recallAtTop[0].recall == 1)
        #expect(beyond.recallAtTop[1].threshold.isNaN && beyond.recallAtTop[1].recall.isNaN)
    }
}
