import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 10 against `Golden/bootstrap_expected.json`, made by
/// `Golden/make_bootstrap_golden.py`: a numpy transcription of the Poisson
/// counts `m_ir` and of every statistic on the reweighted rows (scikit-learn
/// for the ranking), with the basic interval by `numpy.quantile`. The section 3
/// intervals come from calib's own replicate sums and must agree to 1e-12; the
/// ranking's come from the bootstrap's score grid and agree to a few percent
/// of the interval's width (`rankingTolerance`). A second reference, numpy's
/// own Poisson draws, agrees within Monte Carlo error.
@Suite("Bootstrap intervals: golden values")
struct BootstrapGoldenTests {
    static let tolerance = 1e-12
    /// The grid's error in the ranking intervals' ends, as a share of the interval's width
    /// (measured: at most 2.2% on these fixtures).
    static let rankingTolerance = 0.05

    static var reference: [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/bootstrap_expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
    static var fixtures: [String] { (reference["fixtures"] as! [String: Any]).keys.sorted() }
    static func fixture(_ name: String) -> [String: Any] { (reference["fixtures"] as! [String: Any])[name] as! [String: Any] }
    static var settings: BootstrapSettings {
        BootstrapSettings(replicates: reference["replicates"] as! Int, confidence: reference["confidence"] as! Double,
                          seed: UInt64(reference["seed"] as! Int))
    }

    static func audited(_ name: String) throws -> AuditResult {
        let file = try #require(fixture(name)["file"] as? String)
        return try InputAudit.run(.file(TestPaths.golden + "/" + file), ranking: RankingSettings(), bootstrap: settings).result
    }

    @Test("the Poisson counts are numpy's transcription of the documented generator", arguments: fixtures)
    func counts(name: String) throws {
        let fx = Self.fixture(name)
        let rows = try #require(fx["rows"] as? Int)
        let totals = try #require(fx["countTotals"] as? [Int])
        let first = try #require(fx["firstCounts"] as? [Int])
        let seed = Self.settings.seed
        for r in 0..<totals.count {
            // Data rows start at line 2 (one header line).
            let total = (0..<rows).reduce(0) { $0 + PoissonCounts.count(seed: seed, replicate: r, row: $1 + 2) }
            #expect(total == totals[r], "\(name): replicate \(r)'s total count")
            #expect(PoissonCounts.count(seed: seed, replicate: r, row: 2) == first[r], "\(name): replicate \(r)'s count of the first row")
        }
    }

    @Test("every interval agrees with the numpy bootstrap on the same counts", arguments: fixtures)
    func intervals(name: String) throws {
        let expected = try #require(Self.fixture(name)["intervals"] as? [String: [String: Any]])
        let bootstrap = try #require(try Self.audited(name).bootstrap)
        for (key, reference) in expected.sorted(by: { $0.key < $1.key }) {
            let entry = try #require(bootstrap.entry(key), "\(name): \(key) has an interval entry")
            let ends = try #require(reference["interval"] as? [Double])
            let interval = try #require(entry.interval, "\(name): \(key)'s interval is defined")
            let estimate = try #require(reference["estimate"] as? Double)
            #expect(isClose(entry.estimate, estimate, relative: Self.tolerance, absolute: 1e-15), "\(name): \(key) estimate")
            if key.hasPrefix(RankingKey.prefix) {
                let allowed = Self.rankingTolerance * (ends[1] - ends[0])
                #expect(Swift.abs(interval.lower - ends[0]) <= allowed && Swift.abs(interval.upper - ends[1]) <= allowed,
                        "\(name): \(key) [\(interval.lower), \(interval.upper)] vs [\(ends[0]), \(ends[1])]")
            } else {
                #expect(isClose(interval.lower, ends[0], relative: Self.tolerance, absolute: 1e-15)
                        && isClose(interval.upper, ends[1], relative: Self.tolerance, absolute: 1e-15),
                        "\(name): \(key) [\(interval.lower), \(interval.upper)] vs [\(ends[0]), \(ends[1])]")
            }
        }
    }

    /// A second reference with other draws: numpy's own Poisson bootstrap (4000 replicates).
    /// calib's ends at R = 200 have a Monte Carlo standard error of about 5% of the width
    /// (the 2.5% quantile of 200 draws); 25% of the width is about five of them.
    @Test("the intervals agree with numpy's own Poisson bootstrap within Monte Carlo error",
          arguments: fixtures.filter { fixture($0)["numpyRNG"] != nil })
    func numpyDraws(name: String) throws {
        let reference = try #require(Self.fixture(name)["numpyRNG"] as? [String: Any])
        let expected = try #require(reference["intervals"] as? [String: [Double]])
        let bootstrap = try #require(try Self.audited(name).bootstrap)
        for (key, ends) in expected.sorted(by: { $0.key < $1.key }) {
            let interval = try #require(bootstrap.interval(key), "\(name): \(key)'s interval is defined")
            let allowed = 0.25 * (ends[1] - ends[0])
            #expect(Swift.abs(interval.lower - ends[0]) <= allowed && Swift.abs(interval.upper - ends[1]) <= allowed,
                    "\(name): \(key) [\(interval.lower), \(interval.upper)] vs numpy's [\(ends[0]), \(ends[1])]")
        }
    }
}
