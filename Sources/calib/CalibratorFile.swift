import CalibCore
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calibrator file of SPEC section 12, written by `calib fit` and read by `calib apply`:
///
/// ```
/// {"schemaVersion": 1, "method": "platt", "classes": ["legit", "fraud"], "positiveClass": "fraud",
///  "parameters": {"a": 0.41, "b": -0.32}, "fittedOn": {"source": "train.csv", "rows": 1000, "weighted": false}}
/// ```
/// `parameters` per method: temperature `{"temperature": T}`; platt `{"a", "b"}`
/// (`σ(a·logit(s) + b)`); beta `{"a", "b", "c"}` (`σ(a·ln s − b·ln(1 − s) + c)`);
/// isotonic `{"thresholds": […], "values": […]}`; histogram `{"bins": B,
/// "edges": […], "values": […]}` (see `Calibrator.Parameters`). `positiveClass`
/// is `null` for multiclass. Every number is Swift's shortest representation
/// that reads back to the same Double, so the file holds the fit exactly.
///
/// Reading is strict (``StrictJSON``): a missing or unreadable file is exit 66;
/// anything else wrong (not JSON, a duplicate, unknown or missing key, a value
/// of the wrong type, a newer `schemaVersion`, parameters that do not make a
/// calibrator) is exit 65, naming the file, line and column.
enum CalibratorFile {
    static let schemaVersion = 1
    /// The largest calibrator file read (an isotonic fit keeps two numbers per step).
    static let sizeLimit = 512 << 20

    struct Contents: Equatable {
        var calibrator: Calibrator
        var bins: Int?
        var source: String
        var rows: Int
        var weighted: Bool
    }

    struct Problem: Error, CustomStringConvertible {
        let path: String
        var line: Int?
        var column: Int?
        let reason: String
        let status: ExitStatus

        var description: String {
            guard let line, let column else { return "\(path): \(reason)" }
            return "\(path):\(line):\(column): \(reason)"
        }
    }

    // MARK: - Writing

    static func number(_ x: Double) -> String {
        precondition(x.isFinite, "a fitted parameter is finite")
        return "\(x)"
    }

    /// A JSON string literal, escaped as the reports escape strings.
    static func string(_ s: String) -> String { JSONValue.quoted(s) }

    static func list(_ xs: [Double]) -> String { "[" + xs.map(number).joined(separator: ", ") + "]" }

    /// The file's text (ends with a line break).
    static func text(_ c: Contents) -> String {
        let parameters: String
        switch c.calibrator.parameters {
        case let .temperature(t): parameters = "{\"temperature\": \(number(t))}"
        case let .platt(a, b): parameters = "{\"a\": \(number(a)), \"b\": \(number(b))}"
        case let .beta(a, b, cc): parameters = "{\"a\": \(number(a)), \"b\": \(number(b)), \"c\": \(number(cc))}"
        case let .isotonic(thresholds, values): parameters = "{\"thresholds\": \(list(thresholds)), \"values\": \(list(values))}"
        case let .histogram(edges, values):
            parameters = "{\"bins\": \(c.bins ?? values.count), \"edges\": \(list(edges)), \"values\": \(list(values))}"
        }
        return """
            {
              "schemaVersion": \(schemaVersion),
              "method": "\(c.calibrator.method.rawValue)",
              "classes": [\(c.calibrator.classes.map(string).joined(separator: ", "))],
              "positiveClass": \(c.calibrator.positiveClass.map(string) ?? "null"),
              "parameters": \(parameters),
              "fittedOn": {"source": \(string(c.source)), "rows": \(c.rows), "weighted": \(c.weighted)}
            }

            """
    }

    // MARK: - Reading

    static func read(_ path: String) throws(Problem) -> Contents {
        let bytes = try contents(path)
        let root: StrictJSON.Node
        do {
            root = try StrictJSON.parse(bytes)
        } catch {
            throw Problem(path: path, line: error.line, column: error.column, reason: error.reason + "; is this a calibrator file written by calib fit?", status: .dataError)
        }
        return try decode(root, path: path)
    }

    static func decode(_ root: StrictJSON.Node, path: String) throws(Problem) -> Contents {
        func problem(_ node: StrictJSON.Node, _ reason: String) -> Problem {
            Problem(path: path, line: node.line, column: node.column, reason: reason, status: .dataError)
        }
        func object(_ node: StrictJSON.Node, _ what: String, keys: [String], required: [String]) throws(Problem) -> [String: StrictJSON.Node] {
            guard case let .object(members) = node.value else { throw problem(node, "\(what) must be a JSON object") }
            var found: [String: StrictJSON.Node] = [:]
            for member in members {
                guard keys.contains(member.key) else {
                    throw Problem(path: path, line: member.line, column: member.column,
                                  reason: "unknown key \(InputError.quoted(member.key)) in \(what); the keys are \(keys.joined(separator: ", "))", status: .dataError)
                }
                found[member.key] = member.node
            }
            for key in required where found[key] == nil { throw problem(node, "\(what) has no \(InputError.quoted(key))") }
            return found
        }
        func double(_ node: StrictJSON.Node, _ what: String) throws(Problem) -> Double {
            guard case let .number(text) = node.value, let x = Double(text), x.isFinite else { throw problem(node, "\(what) must be a finite number") }
            return x
        }
        func whole(_ node: StrictJSON.Node, _ what: String, minimum: Int) throws(Problem) -> Int {
            guard case let .number(text) = node.value, let n = Int(text), n >= minimum else { throw problem(node, "\(what) must be a whole number of at least \(minimum)") }
            return n
        }
        func doubles(_ node: StrictJSON.Node, _ what: String) throws(Problem) -> [Double] {
            guard case let .array(items) = node.value, !items.isEmpty else { throw problem(node, "\(what) must be a non-empty list of numbers") }
            var out: [Double] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try double(item, "every entry of \(what)")) }
            return out
        }
        func text(_ node: StrictJSON.Node, _ what: String) throws(Problem) -> String {
            guard case let .string(s) = node.value else { throw problem(node, "\(what) must be a string") }
            return s
        }

        let top = try object(root, "the calibrator file", keys: ["schemaVersion", "method", "classes", "positiveClass", "parameters", "fittedOn"],
                             required: ["schemaVersion", "method", "classes", "parameters", "fittedOn"])
        let version = try whole(top["schemaVersion"]!, "schemaVersion", minimum: 1)
        if version > schemaVersion {
            throw problem(top["schemaVersion"]!, "schemaVersion \(version) is newer than this calib reads (\(schemaVersion)); use a newer calib")
        }
        let methodName = try text(top["method"]!, "method")
        guard let method = RecalibrationMethod(rawValue: methodName) else {
            throw problem(top["method"]!, "unknown method \(InputError.quoted(methodName)); the methods are \(RecalibrationMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case let .array(classNodes) = top["classes"]!.value, classNodes.count >= 2 else {
            throw problem(top["classes"]!, "classes must be a list of at least two class names")
        }
        var classes: [String] = []
        for node in classNodes {
            let name = try text(node, "every class")
            if name.isEmpty || classes.contains(name) { throw problem(node, "class names must be non-empty and distinct") }
            classes.append(name)
        }
        if classes.count > 2 && !method.handlesMulticlass {
            throw problem(top["method"]!, "\(method.rawValue) calibrators are binary, but classes lists \(classes.count)")
        }
        if let positive = top["positiveClass"] {
            if classes.count == 2 {
                guard try text(positive, "positiveClass") == classes[1] else {
                    throw problem(positive, "positiveClass must be the second of the two classes (\(InputError.quoted(classes[1])))")
                }
            } else if case .null = positive.value {} else {
                throw problem(positive, "positiveClass must be null for a multiclass calibrator")
            }
        }
        let parametersNode = top["parameters"]!
        let parameters: Calibrator.Parameters
        var bins: Int?
        switch method {
        case .temperature:
            let p = try object(parametersNode, "parameters", keys: ["temperature"], required: ["temperature"])
            let t = try double(p["temperature"]!, "temperature")
            guard t > 0 else { throw problem(p["temperature"]!, "temperature must be above 0") }
            parameters = .temperature(t)
        case .platt:
            let p = try object(parametersNode, "parameters", keys: ["a", "b"], required: ["a", "b"])
            parameters = .platt(a: try double(p["a"]!, "a"), b: try double(p["b"]!, "b"))
        case .beta:
            let p = try object(parametersNode, "parameters", keys: ["a", "b", "c"], required: ["a", "b", "c"])
            parameters = .beta(a: try double(p["a"]!, "a"), b: try double(p["b"]!, "b"), c: try double(p["c"]!, "c"))
        case .isotonic:
            let p = try object(parametersNode, "parameters", keys: ["thresholds", "values"], required: ["thresholds", "values"])
            let thresholds = try doubles(p["thresholds"]!, "thresholds")
            let values = try doubles(p["values"]!, "values")
            guard values.count == thresholds.count else { throw problem(p["values"]!, "values must have one entry per threshold (\(thresholds.count))") }
            guard zip(thresholds, thresholds.dropFirst()).allSatisfy({ $0 < $1 }) else { throw problem(p["thresholds"]!, "thresholds must be ascending and distinct") }
            guard zip(values, values.dropFirst()).allSatisfy({ $0 <= $1 }), values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                throw problem(p["values"]!, "values must be non-decreasing probabilities in [0, 1]")
            }
            parameters = .isotonic(thresholds: thresholds, values: values)
        case .histogram:
            let p = try object(parametersNode, "parameters", keys: ["bins", "edges", "values"], required: ["edges", "values"])
            if let b = p["bins"] { bins = try whole(b, "bins", minimum: 1) }
            guard case let .array(edgeItems) = p["edges"]!.value else { throw problem(p["edges"]!, "edges must be a list of numbers") }
            var edges: [Double] = []
            for item in edgeItems { edges.append(try double(item, "every edge")) }
            let values = try doubles(p["values"]!, "values")
            guard values.count == edges.count + 1 else { throw problem(p["values"]!, "values must have one entry more than edges (\(edges.count + 1))") }
            guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else { throw problem(p["edges"]!, "edges must be ascending and distinct") }
            guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw problem(p["values"]!, "values must be probabilities in [0, 1]") }
            parameters = .histogram(edges: edges, values: values)
        }
        let fitted = try object(top["fittedOn"]!, "fittedOn", keys: ["source", "rows", "weighted"], required: ["source", "rows", "weighted"])
        let source = try text(fitted["source"]!, "fittedOn.source")
        let rows = try whole(fitted["rows"]!, "fittedOn.rows", minimum: 0)
        guard case let .bool(weighted) = fitted["weighted"]!.value else { throw problem(fitted["weighted"]!, "fittedOn.weighted must be true or false") }
        return Contents(calibrator: Calibrator(classes: classes, parameters: parameters), bins: bins, source: source, rows: rows, weighted: weighted)
    }

    /// The file's bytes; a missing or unreadable file, or a folder, is exit 66.
    private static func contents(_ path: String) throws(Problem) -> [UInt8] {
        do {
            return try SmallFile.read(path, what: "the calibrator file", limit: sizeLimit, tooLarge: SmallFile.Failure(
                reason: "larger than 512 MiB; is this a calibrator file written by calib fit?", status: .dataError))
        } catch {
            throw Problem(path: path, reason: error.reason, status: error.status)
        }
    }
}
