import CalibCore

/// Where the model claims more than happens, by more than chance explains.
///
/// A bin (or segment) is flagged by ``ReliabilityBin/isSignificantlyOverconfident(z:minimumGap:)``
/// with its defaults: the gap `claimed − observed` is at least one point and
/// exceeds 2.576 standard errors of the observed rate (a two-sided 99% band),
/// the standard error taken from the effective number of rows `(Σw)² / Σw²`:
/// a 5-point gap is noise in a bin of 30 rows and a finding in a bin of 3,000.
enum OverconfidenceFlags {
    /// The line that introduces the flagged bins in a report.
    static let binsHeading = "Overconfident beyond chance (gap above \(NumberText.fixed(ReliabilityBin.overconfidenceZ, 1)) standard errors of the bin's observed rate):"

    /// Sentences for the significantly overconfident bins of a table.
    static func bins(_ table: ReliabilityTable, positiveClass: String?) -> [String] {
        table.bins.filter { $0.isSignificantlyOverconfident() }.map { bin in
            let range = "\(NumberText.fixed(bin.lower, 2))–\(NumberText.fixed(bin.upper, 2))"
            let rows = "\(NumberText.count(bin.count)) rows"
            if let positiveClass {
                return "in the \(range) bin the model gives '\(positiveClass)' a \(NumberText.percent(bin.meanPredicted, 0)) chance and it happens \(NumberText.percent(bin.observedRate, 0)) of the time (\(rows))"
            }
            return "in the \(range) bin the model claims \(NumberText.percent(bin.meanPredicted, 0)) and is right \(NumberText.percent(bin.observedRate, 0)) of the time (\(rows))"
        }
    }

    /// A sentence when a whole segment is significantly overconfident: for a
    /// binary task its mean score against its positive rate, otherwise its mean
    /// top-label confidence against its top-label accuracy.
    static func segmentFlag(name: String, result r: AuditResult, positiveClass: String?) -> String? {
        let table = positiveClass != nil ? r.positiveReliability! : r.reliability
        var weight = 0.0, predicted = 0.0, observed = 0.0, squares = 0.0
        for bin in table.bins where !bin.isEmpty {
            weight += bin.weight
            predicted += bin.weight * bin.meanPredicted!
            observed += bin.weight * bin.observedRate!
            squares += bin.effectiveCount > 0 ? bin.weight * bin.weight / bin.effectiveCount : 0
        }
        guard weight > 0, squares > 0 else { return nil }
        let whole = ReliabilityBin(lower: 0, upper: 1, count: r.rows, weight: weight, meanPredicted: predicted / weight,
                                   observedRate: observed / weight, effectiveCount: weight * weight / squares)
        guard whole.isSignificantlyOverconfident() else { return nil }
        let rows = "\(NumberText.count(r.rows)) rows"
        if let positiveClass {
            return "segment '\(name)': the mean chance of '\(positiveClass)' is \(NumberText.percent(whole.meanPredicted)) and it happens \(NumberText.percent(whole.observedRate)) of the time (\(rows))"
        }
        return "segment '\(name)': the model claims \(NumberText.percent(whole.meanPredicted)) on average and is right \(NumberText.percent(whole.observedRate)) of the time (\(rows))"
    }
}
