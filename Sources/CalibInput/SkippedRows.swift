/// The rows `--on-invalid skip` left out, counted by reason, with the first
/// examples of each, so that every report can say what was skipped and where.
public struct SkippedRows: Sendable, Hashable {
    public struct Example: Sendable, Hashable {
        public let line: Int
        public let column: String?
        public let value: String?
        /// The full message, as strict mode would have printed it.
        public let message: String
        /// The problem the message states.
        let error: InputError
    }

    public struct Reason: Sendable, Hashable {
        /// A stable key such as `not-a-number`.
        public let code: String
        public fileprivate(set) var count: Int
        public fileprivate(set) var examples: [Example]
    }

    /// Reasons in the order they were first met.
    public private(set) var reasons: [Reason] = []
    public internal(set) var total = 0
    let exampleLimit: Int

    public init(exampleLimit: Int = 5) { self.exampleLimit = exampleLimit }

    mutating func record(_ problem: RowProblem, error: InputError) {
        total += 1
        let example = Example(line: error.line ?? 0, column: error.column, value: error.value, message: error.description, error: error)
        add(code: problem.code, count: 1, examples: [example])
    }

    mutating func add(code: String, count: Int, examples: [Example]) {
        if let i = reasons.firstIndex(where: { $0.code == code }) {
            reasons[i].count += count
            reasons[i].examples += examples.prefix(Swift.max(0, exampleLimit - reasons[i].examples.count))
        } else {
            reasons.append(Reason(code: code, count: count, examples: Array(examples.prefix(exampleLimit))))
        }
    }

    /// Adds the rows another part of the input skipped (their lines are absolute).
    mutating func merge(_ other: SkippedRows) {
        total += other.total
        for reason in other.reasons {
            add(code: reason.code, count: reason.count, examples: reason.examples)
        }
    }
}
