/// The rows `--on-invalid skip` left out, counted by reason, with the first
/// examples of each, so that every report can say what was skipped and where.
public struct SkippedRows: Sendable, Hashable {
    public struct Example: Sendable, Hashable {
        public let line: Int
        public let column: String?
        public let value: String?
        /// The full message, as strict mode would have printed it.
        public let message: String
    }

    public struct Reason: Sendable, Hashable {
        /// A stable key such as `not-a-number`.
        public let code: String
        public fileprivate(set) var count: Int
        public fileprivate(set) var examples: [Example]
    }

    /// Reasons in the order they were first met.
    public private(set) var reasons: [Reason] = []
    public private(set) var total = 0
    let exampleLimit: Int

    public init(exampleLimit: Int = 5) { self.exampleLimit = exampleLimit }

    mutating func record(_ problem: RowProblem, error: InputError) {
        total += 1
        let example = Example(line: error.line ?? 0, column: error.column, value: error.value, message: error.description)
        if let i = reasons.firstIndex(where: { $0.code == problem.code }) {
            reasons[i].count += 1
            if reasons[i].examples.count < exampleLimit { reasons[i].examples.append(example) }
        } else {
            reasons.append(Reason(code: problem.code, count: 1, examples: exampleLimit > 0 ? [example] : []))
        }
    }
}
