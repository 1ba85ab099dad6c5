@testable import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The soft-target decomposition of SPEC section 13: golden values from
/// scipy's `entr` / `rel_entr` (written by `Golden/make_soft_target_golden.py`
/// into `Golden/soft_target_expected.json`), the identities it must keep, and
/// its sums leaving the process and merging bit for bit.
@Suite("Soft targets")
struct SoftTargetTests {
    /// One golden case: rows and the expected `softTargets` object.
    struct GoldenCase: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let kind: ScoreKind
        let scores: [Double]
        let targets: [Double]
        let weights: [Double]?
        /// crossEntropy, entropy, kl.
        let totals: [Double]
        /// Per class: meanTarget, meanPredicted, entropyTerm, crossEntropyTerm, klTerm.
        let terms: [[Double]]
        var testDescription: String { name }

        var table: PredictionTable {
            let k = classCount
            let perRow = k == 2 ? 1 : k
            var table = PredictionTable(shape: ClassificationShape(classCount: k, scoreKind: kind, softTargets: true))
            for i in 0..<(targets.count / k) {
                let t = Array(targets[(i * k)..<((i + 1) * k)])
                table.append(label: 0, scores: scores[(i * perRow)..<((i + 1) * perRow)], targets: t,
                             weight: weights?[i] ?? 1, line: i + 2)
            }
            return table
        }
    }

    static let golden: [GoldenCase] = {
        let url = URL(fileURLWithPath: TestPaths.golden + "/soft_target_expected.json")
        guard let data = try? Data(contentsOf: url),
              let all = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = all["cases"] as? [[String: Any]] else { return [] }
        // Numbers are stored as strings and read by Double(String), which rounds correctly.
        func numbers(_ value: Any?) -> [Double] { ((value as? [String]) ?? []).map { Double($0) ?? .nan } }
        return cases.map { c in
            let expected = c["expected"] as? [String: Any] ?? [:]
            let terms = (expected["terms"] as? [[String: String]] ?? []).map { term in
                SoftTargetKey.termMembers.map { Double(term[$0] ?? "") ?? .nan }
            }
            return GoldenCase(
                name: c["name"] as? String ?? "?", classCount: c["classCount"] as? Int ?? 0,
                kind: c["scoreKind"] as? String == "logits" ? .logits : .probabilities,
                scores: numbers(c["scores"]), targets: numbers(c["targets"]),
                weights: c["weights"] is NSNull ? nil : numbers(c["weights"]),
                totals: SoftTargetKey.all.map { Double(expected[$0.member] as? String ?? "") ?? .nan }, terms: terms)
        }
    }()

    static func summary(_ table: PredictionTable, chunks: Int = 1) -> SoftTargetSummary {
        var accumulator = AuditAccumulator(shape: table.shape)
        let size = (table.count + chunks - 1) / chunks
        for start in stride(from: 0, to: table.count, by: size) {
            var part = AuditAccumulator(shape: table.shape)
            part.add(table, rows: start..<Swift.min(table.count, start + size))
            accumulator.merge(part)
        }
        return accumulator.result(classNames: (0..<table.shape.classCount).map { "c\($0)" }).softTargets!
    }

    @Test("the golden file has every case")
    func goldenCases() {
        #expect(Self.golden.map(\.name) == [
            "unweighted, 4 classes", "weighted, 4 classes", "exact zeros in the targets",
            "zeros in the predictions (clipped)", "binary, one score per row", "logits, 5 classes",
        ])
    }

    @Test("totals and terms equal scipy's entr and rel_entr to 1e-12 relative", arguments: golden)
    func matchesScipy(_ c: GoldenCase) {
        let s = Self.summary(c.table)
        for (key, expected) in zip(SoftTargetKey.all, c.totals) {
            #expect(relativeDifference(key.value(in: s), expected) <= 1e-12, "\(key.name): \(key.value(in: s)) vs \(expected)")
        }
        #expect(s.terms.count == c.terms.count)
        for (term, expected) in zip(s.terms, c.terms) {
            let ours = [term.meanTarget, term.meanPredicted, term.entropyTerm, term.crossEntropyTerm, term.klTerm]
            for (member, (a, b)) in zip(SoftTargetKey.termMembers, zip(ours, expected)) {
                #expect(relativeDifference(a, b) <= 1e-12 || Swift.abs(a - b) <= 1e-15, "\(term.name).\(member): \(a) vs \(b)")
            }
        }
    }

    @Test("each column of the term table sums to its total, and crossEntropy = entropy + kl", arguments: golden)
    func columnsSumToTotals(_ c: GoldenCase) {
        let s = Self.summary(c.table)
        #expect(relativeDifference(s.terms.map(\.entropyTerm).reduce(0, +), s.entropy) <= 1e-14)
        #expect(relativeDifference(s.terms.map(\.crossEntropyTerm).reduce(0, +), s.crossEntropy) <= 1e-14)
        #expect(relativeDifference(s.terms.map(\.klTerm).reduce(0, +), s.kl) <= 1e-14)
        #expect(relativeDifference(s.entropy + s.kl, s.crossEntropy) <= 1e-13)
    }

    /// A seeded task whose targets are one-hot on the label, or equal to the prediction.
    struct PropertyCase: CustomTestStringConvertible, Sendable {
        let name: String
        let classCount: Int
        let kind: ScoreKind
        let weighted: Bool
        var testDescription: String { name }

        /// Rows with targets `targetOf(label, probabilities)`.
        func table(rows: Int = 300, seed: UInt64 = 7, targetOf: ([Double], Int) -> [Double]) -> PredictionTable {
            var random = SeededGenerator(seed: seed)
            let k = classCount
            var table = PredictionTable(shape: ClassificationShape(classCount: k, scoreKind: kind, softTargets: true))
            for i in 0..<rows {
                let label = Int.random(in: 0..<k, using: &random)
                let scores: [Double]
                let p: [Double]
                if kind == .logits {
                    let z = (0..<k).map { _ in 3 * random.normal() }
                    scores = k == 2 ? [z[1] - z[0]] : z
                    let m = z.max()!
                    let e = z.map { Foundation.exp($0 - m) }
                    p = e.map { $0 / e.reduce(0, +) }
                } else {
                    let raw = (0..<k).map { _ in Double.random(in: 0.001...1, using: &random) }
                    p = raw.map { $0 / raw.reduce(0, +) }
                    scores = k == 2 ? [p[1]] : p
                }
                let pk = k == 2 && kind == .probabilities ? [1 - scores[0], scores[0]] : p
                table.append(label: label, scores: scores, targets: targetOf(pk, label),
                             weight: weighted ? Double.random(in: 0..<3, using: &random) : 1, line: i + 2)
            }
            return table
        }
    }

    static let properties: [PropertyCase] = [
        PropertyCase(name: "binary probabilities", classCount: 2, kind: .probabilities, weighted: false),
        PropertyCase(name: "weighted multiclass probabilities", classCount: 5, kind: .probabilities, weighted: true),
        PropertyCase(name: "multiclass logits", classCount: 4, kind: .logits, weighted: false),
        PropertyCase(name: "weighted binary logits", classCount: 2, kind: .logits, weighted: true),
    ]

    @Test("one-hot targets: entropy is 0 and the soft cross-entropy is the audit's cross-entropy", arguments: properties)
    func oneHotTargets(_ c: PropertyCase) {
        let table = c.table { _, label in (0..<c.classCount).map { $0 == label ? 1 : 0 } }
        var accumulator = AuditAccumulator(shape: table.shape)
        accumulator.add(table)
        let result = accumulator.result(classNames: (0..<c.classCount).map { "c\($0)" })
        let s = result.softTargets!
        #expect(s.entropy == 0)
        #expect(relativeDifference(s.crossEntropy, result.metrics.crossEntropy) <= 1e-13)
        #expect(relativeDifference(s.kl, result.metrics.crossEntropy) <= 1e-13)
    }

    @Test("KL is 0 when the prediction equals the target, and never negative", arguments: properties)
    func divergence(_ c: PropertyCase) {
        let same = Self.summary(c.table { p, _ in p })
        #expect(Swift.abs(same.kl) <= 1e-12, "kl \(same.kl)")
        #expect(relativeDifference(same.entropy, same.crossEntropy) <= 1e-12)
        let other = Self.summary(c.table(seed: 8) { p, _ in Array(p.reversed()) })
        #expect(other.kl >= 0)
        #expect(other.terms.allSatisfy { $0.meanTarget >= 0 && $0.entropyTerm >= 0 })
    }

    @Test("merging chunks gives the one-pass result", arguments: properties)
    func mergedChunks(_ c: PropertyCase) {
        let table = c.table { p, _ in Array(p.reversed()) }
        let one = Self.summary(table)
        let seven = Self.summary(table, chunks: 7)
        for key in SoftTargetKey.all {
            #expect(relativeDifference(key.value(in: one), key.value(in: seven)) <= 1e-14, "\(key.name)")
        }
    }

    @Test("the state round-trips bit for bit and goes on summing the same", arguments: properties)
    func stateRoundTrip(_ c: PropertyCase) throws {
        let table = c.table { p, _ in Array(p.reversed()) }
        var first = AuditAccumulator(shape: table.shape)
        first.add(table, rows: 0..<120)
        let state = first.state
        #expect(state.families[AuditAccumulator.State.familyNames.firstIndex(of: "softTargets")!].doubles.count == 10 * c.classCount)
        var restored = try AuditAccumulator(restoring: state)
        #expect(restored.state == state)
        var rest = AuditAccumulator(shape: table.shape)
        rest.add(table, rows: 120..<table.count)
        first.merge(rest)
        restored.merge(rest)
        let names = (0..<c.classCount).map { "c\($0)" }
        #expect(first.result(classNames: names).softTargets == restored.result(classNames: names).softTargets)
    }

    @Test("an audit without targets has no soft-target section and an empty soft-target state")
    func absentWithoutTargets() throws {
        var table = PredictionTable(shape: ClassificationShape(classCount: 3, scoreKind: .probabilities))
        table.append(label: 1, scores: [0.2, 0.5, 0.3])
        var accumulator = AuditAccumulator(shape: table.shape)
        accumulator.add(table)
        #expect(accumulator.result(classNames: ["a", "b", "c"]).softTargets == nil)
        var state = accumulator.state
        #expect(state.families.last == FamilyState())
        state.families[state.families.count - 1].doubles = [0, 0]
        #expect(throws: AuditAccumulator.RestoreError.self) { try AuditAccumulator(restoring: state) }
    }

    @Test("an accumulator with soft targets refuses to merge one without")
    func mismatchedTargets() {
        let with = AuditAccumulator(shape: ClassificationShape(classCount: 3, scoreKind: .probabilities, softTargets: true))
        let without = AuditAccumulator(shape: ClassificationShape(classCount: 3, scoreKind: .probabilities))
        #expect(with.mismatch(with: without) == .setting(name: "softTargets", expected: "true", found: "false"))
    }
}
