import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 12's fits against `Golden/recalibration_expected.json`, made by
/// `Golden/make_recalibration_golden.py`: temperature against scipy's root of
/// the convex problem in 1/T, Platt and beta against scikit-learn 1.9.1's
/// unpenalised `LogisticRegression`, isotonic against its `IsotonicRegression`,
/// histogram against an exact-rational transcription of SPEC 9's bins. Every
/// fixture, weighted and unweighted, read as the CLI reads it: parameters to
/// 1e-6 relative, recalibrated scores of every row to 1e-9, and the same
/// refusals (separable data, too few distinct scores).
@Suite("Recalibration: golden values")
struct RecalibrationGoldenTests {
    /// Read once: the file holds every row's reference scores (1.7 MB). Never mutated.
    nonisolated(unsafe) static let reference: [String: Any] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/recalibration_expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static var fixtures: [String] { (reference["fixtures"] as! [String: Any]).keys.sorted() }
    static func fixture(_ name: String) -> [String: Any] { (reference["fixtures"] as! [String: Any])[name] as! [String: Any] }

    /// The golden methods: `histogram5` and `histogram15` are histogram binning with B = 5 and 15.
    static let methods: [(key: String, method: RecalibrationMethod, bins: Int)] = [
        ("temperature", .temperature, 15), ("platt", .platt, 15), ("beta", .beta, 15),
        ("isotonic", .isotonic, 15), ("histogram5", .histogram, 5), ("histogram15", .histogram, 15),
    ]

    static var cases: [(String, String)] {
        fixtures.flatMap { name in
            methods.compactMap { m in (fixture(name)["methods"] as! [String: Any])[m.key] == nil ? nil : (name, m.key) }
        }
    }

    static func load(_ name: String) throws -> (PredictionTable, [String]) {
        var options = ReadOptions()
        options.threads = 1
        let (table, input) = try TableLoader.load(.file(TestPaths.golden + "/" + name), options: options)
        return (table, input.classes)
    }

    static func numbers(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as! NSNumber).doubleValue } }

    static func close(_ a: Double, _ b: Double, relative: Double) -> Bool {
        Swift.abs(a - b) <= relative * Swift.max(Swift.abs(a), Swift.abs(b)) || Swift.abs(a - b) <= 1e-12
    }

    @Test("fitted parameters (1e-6 relative) and every row's recalibrated score (1e-9), or the same refusal", arguments: cases)
    func fit(name: String, key: String) throws {
        let expected = try #require((Self.fixture(name)["methods"] as! [String: Any])[key] as? [String: Any])
        let m = Self.methods.first { $0.key == key }!
        let (table, classes) = try Self.load(name)
        #expect(classes == Self.fixture(name)["classes"] as? [String], "\(name): classes in the golden order")
        if let refusal = expected["refused"] as? String {
            #expect(throws: RecalibrationError.self, "\(name) \(key): refused by the reference (\(refusal))") {
                try Recalibration.fit(m.method, table: table, classes: classes, bins: m.bins)
            }
            return
        }
        let calibrator = try Recalibration.fit(m.method, table: table, classes: classes, bins: m.bins)
        let parameters = try #require(expected["parameters"] as? [String: Any])
        func expectParameter(_ ours: Double, _ name2: String) {
            let reference = (parameters[name2] as! NSNumber).doubleValue
            #expect(Self.close(ours, reference, relative: 1e-6), "\(name) \(key) \(name2): \(ours) vs \(reference)")
        }
        switch calibrator.parameters {
        case let .temperature(t): expectParameter(t, "T")
        case let .platt(a, b): expectParameter(a, "a"); expectParameter(b, "b")
        case let .beta(a, b, c): expectParameter(a, "a"); expectParameter(b, "b"); expectParameter(c, "c")
        case let .isotonic(thresholds, values):
            // The fixture's own scores, read back from JSON (Foundation's reader can be one ulp off on 17 digits).
            let referenceThresholds = Self.numbers(parameters["thresholds"])
            #expect(thresholds.count == referenceThresholds.count && zip(thresholds, referenceThresholds).allSatisfy { Self.close($0, $1, relative: 1e-15) }, "\(name): isotonic thresholds")
            let reference = Self.numbers(parameters["values"])
            #expect(values.count == reference.count && zip(values, reference).allSatisfy { Self.close($0, $1, relative: 1e-12) }, "\(name): isotonic values")
        case let .histogram(edges, values):
            let referenceEdges = Self.numbers(parameters["edges"])
            #expect(edges.count == referenceEdges.count && zip(edges, referenceEdges).allSatisfy { Self.close($0, $1, relative: 1e-15) }, "\(name) \(key): histogram edges")
            let reference = Self.numbers(parameters["values"])
            #expect(values.count == reference.count && zip(values, reference).allSatisfy { Self.close($0, $1, relative: 1e-12) }, "\(name) \(key): bin values")
        }
        let applied = Self.numbers(expected["applied"])
        let per = table.shape.scoresPerRow
        #expect(applied.count == table.count * per)
        var out = [Double](repeating: 0, count: per)
        var worst = 0.0
        table.scores.withUnsafeBufferPointer { scores in
            for i in 0..<table.count {
                out.withUnsafeMutableBufferPointer { o in
                    calibrator.apply(UnsafeBufferPointer(rebasing: scores[(i * per)..<((i + 1) * per)]), kind: table.shape.scoreKind, into: o, as: .probabilities)
                }
                for j in 0..<per { worst = Swift.max(worst, Swift.abs(out[j] - applied[i * per + j])) }
            }
        }
        #expect(worst <= 1e-9, "\(name) \(key): largest difference of a recalibrated score \(worst)")
    }
}
