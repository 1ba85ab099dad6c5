import ArgumentParser
import CalibReport
import Foundation

/// Gates from flags and from a configuration file.
struct GateOptionGroup: ParsableArguments {
    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when METRIC OP NUMBER holds, e.g. 'ece>0.05', 'recall[fraud]<0.8', 'max-segment-ece>0.1'. Repeatable.", valueName: "expr"))
    var failOn: [String] = []

    @Option(name: .customLong("warn-on"), help: ArgumentHelp("Like --fail-on, but a warning: reported and annotated, exit status unchanged. Repeatable.", valueName: "expr"))
    var warnOn: [String] = []

    @Option(help: ArgumentHelp("A JSON file with \"failOn\" and \"warnOn\" lists of gates and optionally \"minSegmentRows\".", valueName: "calib.json"))
    var config: String?

    @Option(help: ArgumentHelp("Segments with fewer rows are listed but neither gated nor flagged (default 100).", valueName: "n"))
    var minSegmentRows: Int?

    func validate() throws {
        for text in failOn + warnOn {
            do { _ = try GateExpression(text) } catch { throw ValidationError(error.description) }
        }
        if let minSegmentRows, minSegmentRows < 0 { throw ValidationError("--min-segment-rows must be at least 0.") }
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
        return (gates, minSegmentRows ?? minimum)
    }
}

/// A configuration file: `{"failOn": ["ece>0.05"], "warnOn": ["mce>0.2"], "minSegmentRows": 200}`.
enum ConfigFile {
    struct Settings {
        var gates: [GateExpression] = []
        var minSegmentRows: Int?
    }

    struct Problem: Error, CustomStringConvertible {
        let path: String
        let reason: String
        let exitCode: Int32
        var description: String { "\(path): \(reason)" }
    }

    static func read(_ path: String) throws -> Settings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(path: path, reason: "cannot read the configuration file", exitCode: 66)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Problem(path: path, reason: "not a JSON object; expected {\"failOn\": [\"ece>0.05\"], \"warnOn\": […], \"minSegmentRows\": 100}", exitCode: 64)
        }
        let known: Set<String> = ["failOn", "warnOn", "minSegmentRows"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem(path: path, reason: "unknown key '\(unknown)'; the keys are failOn, warnOn and minSegmentRows", exitCode: 64)
        }
        var settings = Settings()
        for (key, severity) in [("failOn", GateExpression.Severity.error), ("warnOn", .warning)] {
            guard let value = object[key] else { continue }
            guard let list = value as? [String] else { throw Problem(path: path, reason: "\(key) must be a list of gate expressions", exitCode: 64) }
            for text in list {
                do { settings.gates.append(try GateExpression(text, severity: severity)) } catch {
                    throw Problem(path: path, reason: error.description, exitCode: 64)
                }
            }
        }
        if let value = object["minSegmentRows"] {
            guard let n = value as? Int, n >= 0 else { throw Problem(path: path, reason: "minSegmentRows must be a whole number at least 0", exitCode: 64) }
            settings.minSegmentRows = n
        }
        return settings
    }
}
