import ArgumentParser
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gates from flags and from a configuration file.
struct GateOptionGroup: ParsableArguments {
    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when METRIC OP NUMBER holds, e.g. 'ece>0.05', 'recall[fraud]<0.8', 'max-segment-ece>0.1'. Repeatable.", valueName: "expr"))
    var failOn: [String] = []

    @Option(name: .customLong("warn-on"), help: ArgumentHelp("Like --fail-on, but a warning: reported and annotated, exit status unchanged. Repeatable.", valueName: "expr"))
    var warnOn: [String] = []

    @Option(help: ArgumentHelp("A JSON file with \"failOn\" and \"warnOn\" lists of gates and optionally \"minSegmentRows\"; each key at most once.", valueName: "calib.json"))
    var config: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Segments with fewer rows are listed but neither gated nor flagged (default 100).", valueName: "n"))
    var minSegmentRows: String?

    func validate() throws {
        for text in failOn + warnOn {
            do { _ = try GateExpression(text) } catch { throw ValidationError(error.description) }
        }
        _ = try segmentMinimum()
        if config == "" { throw optionError("--config", "", "needs a file name") }
    }

    private func segmentMinimum() throws -> Int? {
        try minSegmentRows.map { try OptionValue.wholeNumber($0, flag: "--min-segment-rows", in: 0...Int.max) }
    }

    /// `load()`, with a bad config file or gate printed and turned into its
    /// exit status (the config file's own, or 64 for a gate), for a command's `run`.
    func loadOrExit() throws -> (gates: [GateExpression], minSegmentRows: Int) {
        do {
            return try load()
        } catch let problem as ConfigFile.Problem {
            printError(problem.description)
            throw problem.status.exitCode
        } catch let error as GateError {
            printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

    /// The gates of the config file followed by those of the flags, and the segment threshold.
    func load() throws -> (gates: [GateExpression], minSegmentRows: Int) {
        var gates: [GateExpression] = []
        var minimum = 100
        if let config {
            let settings = try ConfigFile.read(config)
            gates += settings.gates
            if let m = settings.minSegmentRows { minimum = m }
        }
        for text in failOn { gates.append(try GateExpression(text, severity: .error)) }
        for text in warnOn { gates.append(try GateExpression(text, severity: .warning)) }
        return (gates, try segmentMinimum() ?? minimum)
    }
}

/// A configuration file: `{"failOn": ["ece>0.05"], "warnOn": ["mce>0.2"], "minSegmentRows": 200}`.
///
/// Read with ``StrictJSON``: a key given twice (also when spelled with escapes,
/// `"fail\u004fn"`), an unknown key, a value of the wrong type or a bad gate is a
/// usage error (exit 64) naming the file, line and column; a file that cannot be
/// read is exit 66. At most 1 MiB.
enum ConfigFile {
    struct Settings {
        var gates: [GateExpression] = []
        var minSegmentRows: Int?
    }

    struct Problem: Error, CustomStringConvertible {
        let path: String
        var line: Int?
        var column: Int?
        let reason: String
        let status: ExitStatus

        init(path: String, line: Int? = nil, column: Int? = nil, reason: String, status: ExitStatus = .usage) {
            self.path = path; self.line = line; self.column = column; self.reason = reason; self.status = status
        }

        init(path: String, at node: StrictJSON.Node, reason: String) {
            self.init(path: path, line: node.line, column: node.column, reason: reason)
        }

        var description: String {
            guard let line, let column else { return "\(path): \(reason)" }
            return "\(path):\(line):\(column): \(reason)"
        }
    }

    /// The largest configuration file read.
    static let sizeLimit = 1 << 20

    static let expectedShape = "expected {\"failOn\": [\"ece>0.05\"], \"warnOn\": […], \"minSegmentRows\": 100}"

    static func read(_ path: String) throws -> Settings {
        let bytes = try contents(path)
        let root: StrictJSON.Node
        do {
            root = try StrictJSON.parse(bytes)
        } catch {
            throw Problem(path: path, line: error.line, column: error.column, reason: error.reason)
        }
        guard case let .object(members) = root.value else {
            throw Problem(path: path, at: root, reason: "not a JSON object; \(expectedShape)")
        }
        var settings = Settings()
        for member in members {
            let (key, node) = (member.key, member.node)
            switch key {
            case "failOn", "warnOn":
                let severity: GateExpression.Severity = key == "failOn" ? .error : .warning
                guard case let .array(items) = node.value else {
                    throw Problem(path: path, at: node, reason: "\(key) must be a list of gate expressions, e.g. [\"ece>0.05\"]")
                }
                for item in items {
                    guard case let .string(text) = item.value else {
                        throw Problem(path: path, at: item, reason: "\(key) must be a list of gate expressions in double quotes")
                    }
                    do { settings.gates.append(try GateExpression(text, severity: severity)) } catch {
                        throw Problem(path: path, at: item, reason: error.description)
                    }
                }
            case "minSegmentRows":
                guard case let .number(text) = node.value, let x = Double(text), let n = Int(exactly: x), n >= 0 else {
                    throw Problem(path: path, at: node, reason: "minSegmentRows must be a whole number at least 0")
                }
                settings.minSegmentRows = n
            default:
                throw Problem(path: path, line: member.line, column: member.column, reason: "unknown key \(InputError.quoted(key)); the keys are failOn, warnOn and minSegmentRows")
            }
        }
        // failOn's gates, then warnOn's, whichever key comes first in the file.
        settings.gates = settings.gates.filter { $0.severity == .error } + settings.gates.filter { $0.severity == .warning }
        return settings
    }

    /// The file's bytes; a missing, unreadable or oversized file, or a folder, is a problem.
    private static func contents(_ path: String) throws -> [UInt8] {
        do {
            return try SmallFile.read(path, what: "the configuration file", limit: sizeLimit, tooLarge: SmallFile.Failure(
                reason: "larger than 1 MiB; is this a calib configuration file? \(expectedShape)", status: .usage))
        } catch {
            throw Problem(path: path, reason: error.reason, status: error.status)
        }
    }
}
