@testable import calib
import CalibTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// A small valid binary table.
let tinyTable = "label,prob\n1,0.9\n0,0.2\n1,0.7\n0,0.4\n"

/// Writes `text` to `folder/name`, creating sub-folders.
@discardableResult
func plant(_ text: String, _ name: String, in folder: String) throws -> String {
    let path = folder + "/" + name
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    return path
}

func listing(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}

/// Runs `script` with /bin/sh, `$CALIB` naming the executable, in the package root.
func shell(_ script: String, environment: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: TestPaths.packageRoot)
    var env = ProcessInfo.processInfo.environment
    env["CALIB"] = CalibRun.executable.path
    env["NO_COLOR"] = "1"
    env["GITHUB_ACTIONS"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let err = Pipe()
    process.standardError = err
    try process.run()
    let data = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("Writing reports: temporary files, symbolic links, signals")
struct TemporaryFileTests {
    struct Planted: Sendable, CustomStringConvertible {
        let description: String
        /// Shell commands run before calib (with `exec`, so `$$` is calib's pid); `$OUT` is the -o path, `$VICTIM` a file outside.
        let setup: String
    }

    static let planted: [Planted] = [
        Planted(description: "a symbolic link at the old predictable name <out>.calib-tmp-<pid>", setup: #"ln -s "$VICTIM" "$OUT.calib-tmp-$$""#),
        Planted(description: "a dangling symbolic link at the old predictable name", setup: #"ln -s "$VICTIM.created" "$OUT.calib-tmp-$$""#),
        Planted(description: "the output itself a symbolic link to a file outside", setup: #"ln -s "$VICTIM" "$OUT""#),
    ]

    @Test("a planted symbolic link is never followed: the file outside stays as it was, the report is written, no temporary file remains", arguments: planted)
    func symlinkNotFollowed(case planted: Planted) throws {
        let folder = try temporaryFolder()
        let outside = try temporaryFolder()
        let victim = try plant("precious\n", "victim.txt", in: outside)
        let out = folder + "/r.json"
        let run = try shell(planted.setup + #"; exec "$CALIB" audit SampleData/spam_messages.tsv -o "$OUT" --format json >/dev/null"#,
                            environment: ["OUT": out, "VICTIM": victim])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: victim + ".created"))
        #expect(try listing(outside) == ["victim.txt"])
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.hasPrefix("{") && written.contains("\"schemaVersion\""))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out)) == nil, "the report replaced a link at its name")
        #expect(try listing(folder).filter { !$0.hasPrefix("r.json.calib-tmp-") } == ["r.json"], "no temporary file remains")
    }

    @Test("a file, a link or a dangling link at each temporary name calib tries is skipped for the next name, and left untouched")
    func everyTriedNameIsSafe() throws {
        let folder = try temporaryFolder()
        let outside = try temporaryFolder()
        let victim = try plant("precious\n", "victim.txt", in: outside)
        let target = folder + "/report.md"
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: target, suffix: "one"), withDestinationPath: victim)
        try manager.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: target, suffix: "two"), withDestinationPath: outside + "/created")
        try plant("planted\n", (AtomicFile.temporaryPath(for: target, suffix: "three") as NSString).lastPathComponent, in: folder)
        var suffixes = ["one", "two", "three", "four"].makeIterator()
        let file = try AtomicFile(target, suffix: { suffixes.next()! })
        #expect(file.temporaryPath == AtomicFile.temporaryPath(for: target, suffix: "four"))
        #expect(TemporaryFiles.registered.contains(file.temporaryPath ?? ""))
        try file.commit("# report\n")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "# report\n")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try listing(outside) == ["victim.txt"])
        #expect(try String(contentsOfFile: AtomicFile.temporaryPath(for: target, suffix: "three"), encoding: .utf8) == "planted\n")
        #expect(try listing(folder) == [".report.md.calib-tmp-one", ".report.md.calib-tmp-three", ".report.md.calib-tmp-two", "report.md"])
        #expect(!TemporaryFiles.registered.contains { $0.hasPrefix(folder) })
    }

    @Test("a discarded file leaves no temporary file and no target")
    func discard() throws {
        let folder = try temporaryFolder()
        let file = try AtomicFile(folder + "/r.json")
        #expect(try listing(folder).count == 1)
        file.discard()
        #expect(try listing(folder).isEmpty)
        #expect(!TemporaryFiles.registered.contains { $0.hasPrefix(folder) })
    }

    @Test("temporary names stay within a file name's 255 bytes", arguments: [1, 80, 200, 250])
    func longNames(length: Int) {
        let name = AtomicFile.temporaryPath(for: "/some/folder/" + String(repeating: "é", count: length / 2) + ".json", suffix: AtomicFile.randomSuffix())
        #expect((name as NSString).lastPathComponent.utf8.count <= 255)
        #expect(name.hasPrefix("/some/folder/."))
    }

    @Test("a report's mode is 0644 less the umask, as for any new file", arguments: [("022", 0o644), ("027", 0o640), ("077", 0o600)])
    func mode(umask: String, expected: Int) throws {
        let folder = try temporaryFolder()
        let run = try shell(#"umask \#(umask); exec "$CALIB" audit SampleData/spam_messages.tsv -o "$OUT" >/dev/null"#, environment: ["OUT": folder + "/r.json"])
        #expect(run.status == 0, "\(run.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/r.json")
        #expect((attributes[.posixPermissions] as? Int) == expected)
    }

    @Test("an input that fails leaves neither the -o file nor a temporary file")
    func failedInputLeavesNothing() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "-", "-o", folder + "/r.json", "-o", folder + "/g.xml"], stdin: "label,prob\n1,abc\n")
        #expect(run.status == 65)
        #expect(try listing(folder) == ["g.xml"], "JUnit XML covers the inputs that were read: none")
    }

    @Test("SIGTERM, SIGINT or SIGHUP while the input is read removes the temporary -o files; the run ends by that signal", arguments: [SIGTERM, SIGINT, SIGHUP])
    func signalRemovesTemporaryFiles(signal: Int32) throws {
        let folder = try temporaryFolder()
        let child = try SpawnedCalib(["audit", "-", "-o", folder + "/r.json", "-o", folder + "/r.md", "-o", folder + "/gates.xml"])
        child.write("label,prob\n1,0.9\n0,0.1\n")
        // calib now waits for more input, with its three temporary files open.
        let temporaries = { try listing(folder).filter { $0.contains(".calib-tmp-") }.count }
        let deadline = Date().addingTimeInterval(30)
        while try temporaries() < 3 && Date() < deadline { usleep(20_000) }
        #expect(try temporaries() == 3)
        kill(child.pid, signal)
        let status = child.wait(seconds: 20)
        #expect(status == .signal(signal))
        #expect(try listing(folder).isEmpty)
    }
}

@Suite("Signals a run was started with ignored")
struct IgnoredSignalTests {
    @Test("a signal ignored at start (nohup) stays ignored: the run goes on and writes its reports")
    func ignoredStaysIgnored() throws {
        let folder = try temporaryFolder()
        let child = try SpawnedCalib([], shell: "trap '' HUP; exec \"$CALIB\" audit - -o '\(folder)/r.json'")
        child.write("label,prob\n1,0.9\n0,0.1\n")
        let deadline = Date().addingTimeInterval(30)
        while try listing(folder).isEmpty && Date() < deadline { usleep(20_000) }
        kill(child.pid, SIGHUP)
        usleep(200_000)
        child.write("1,0.8\n")
        child.closeInput()
        #expect(child.wait(seconds: 20) == .exit(0))
        #expect(try listing(folder) == ["r.json"])
    }
}

/// calib started as a shell starts it: default dispositions and no blocked
/// signals (the test runner's threads block some, and a child inherits that
/// mask), standard input a pipe the test writes to, output discarded.
final class SpawnedCalib {
    enum Ending: Equatable { case exit(Int32), signal(Int32), stillRunning }

    let pid: pid_t
    private var input: Int32

    /// Runs calib with `arguments`, or with `shell` set, `/bin/sh -c shell` with `$CALIB` naming calib.
    init(_ arguments: [String], shell: String? = nil) throws {
        // A write to a calib that has ended must fail (EPIPE), not end the test run.
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let program = shell == nil ? CalibRun.executable.path : "/bin/sh"
        let words = shell.map { ["/bin/sh", "-c", $0] } ?? [CalibRun.executable.path] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        setenv("CALIB", CalibRun.executable.path, 1)
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        close(fds[0])
        guard result == 0 else { close(fds[1]); throw POSIXError(.EIO) }
        self.pid = pid
        input = fds[1]
    }

    func write(_ text: String) {
        _ = text.withCString { Glibc.write(input, $0, strlen($0)) }
    }

    /// Ends the input.
    func closeInput() {
        close(input)
        input = -1
    }

    /// Waits for the end; after `seconds` kills the process and says it was still running.
    func wait(seconds: Double) -> Ending {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return .stillRunning
            }
            usleep(20_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? .exit((status >> 8) & 0xFF) : .signal(signal)
    }

    deinit { if input >= 0 { close(input) } }
}

@Suite("--report-dir: safe, distinct names; nothing overwritten")
struct ReportDirectoryTests {
    struct Batch: Sendable, CustomStringConvertible {
        let description: String
        let inputs: [String]
        /// The report names, in input order.
        let names: [String]
    }

    static let batches: [Batch] = [
        Batch(description: "an input named index", inputs: ["index.csv"], names: ["index-2"]),
        Batch(description: "index in capitals", inputs: ["INDEX.csv", "Index.tsv"], names: ["INDEX-2", "Index-3"]),
        Batch(description: "the same name in two folders", inputs: ["a/x.csv", "b/x.csv"], names: ["x", "x-2"]),
        Batch(description: "one name, two extensions", inputs: ["x.csv", "x.tsv"], names: ["x", "x-2"]),
        Batch(description: "a name that is another's de-duplicated name", inputs: ["x.csv", "x.tsv", "x-2.csv"], names: ["x", "x-2", "x-2-2"]),
        Batch(description: "names differing in case only", inputs: ["x.csv", "X.csv"], names: ["x", "X-2"]),
        Batch(description: "an input named junit.xml, and a gzip file", inputs: ["junit.xml", "gz.csv.gz"], names: ["junit", "gz"]),
    ]

    @Test("every input gets its own report files and the index pages and junit.xml are never overwritten", arguments: batches)
    func collisions(batch: Batch) throws {
        let data = try temporaryFolder()
        let folder = try temporaryFolder() + "/rd"
        var paths: [String] = []
        for input in batch.inputs {
            let path = try plant(input.hasSuffix(".tsv") ? tinyTable.replacingOccurrences(of: ",", with: "\t") : tinyTable, input, in: data)
            if input.hasSuffix(".gz") {
                try FileManager.default.removeItem(atPath: path)
                _ = try shell("printf '\(tinyTable.replacingOccurrences(of: "\n", with: "\\n"))' | gzip -c > '\(path)'")
            }
            paths.append(path)
        }
        let run = try CalibRun(["audit"] + paths + ["--report-dir", folder])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = batch.names.flatMap { ["\($0).html", "\($0).md", "\($0).json"] } + ["index.html", "index.md", "junit.xml"]
        #expect(try listing(folder) == expected.sorted())
        #expect(ReportDirectory(folder: folder, inputs: paths).names == batch.names)
        let index = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        let indexMarkdown = try String(contentsOfFile: folder + "/index.md", encoding: .utf8)
        for name in batch.names {
            #expect(index.contains("\(name).html\""), "\(name)")
            #expect(indexMarkdown.contains("\(name).md"), "\(name)")
            let json = try String(contentsOfFile: folder + "/\(name).json", encoding: .utf8)
            #expect(json.contains("\"schemaVersion\""))
        }
        #expect(!index.contains("\"schemaVersion\"") && index.hasPrefix("<!DOCTYPE html>"))
        let junit = try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)
        #expect(junit.hasPrefix("<?xml") && junit.contains("<testsuites"))
    }

    /// An input file name and the report name made from it.
    struct SafeName: CustomTestStringConvertible, Sendable {
        let input: String
        let name: String
        init(_ input: String, _ name: String) { (self.input, self.name) = (input, name) }

        /// The input as a Swift literal on one line (letters and printable ASCII as they are, anything else
        /// as \u{…}), a long one cut.
        var testDescription: String {
            let shown = input.unicodeScalars.map { s -> String in
                if s == "\\" || s == "\"" { return "\\" + String(s) }
                if (0x20..<0x7F).contains(s.value) || s.properties.isAlphabetic { return String(s) }
                return "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
            }.joined()
            return shown.count > 40 ? "\"" + String(shown.prefix(20)) + "…\" (\(input.count) characters)" : "\"" + shown + "\""
        }
    }

    @Test("report names are safe file names", arguments: [
        SafeName("javascript:alert(document.domain).csv", "javascript_alert(document.domain)"),
        SafeName("<img src=x onerror=alert(1)>.csv", "_img src=x onerror=alert(1)_"),
        SafeName("-rf.csv", "_rf"),
        SafeName(".hidden.csv", "_hidden"),
        SafeName(".csv", "_csv"),
        SafeName("a\u{1B}]0;title\u{07}b.csv", "a_]0;title_b"),
        SafeName("line\nbreak\r.csv", "line_break_"),
        SafeName("right\u{202E}to-left.csv", "right_to-left"),
        SafeName("back\\slash|pipe*star?.csv", "back_slash_pipe_star_"),
        SafeName("quote\".csv", "quote_"),
        SafeName("trailing..csv", "trailing_"),
        SafeName("-", "stdin"),
        SafeName("folder/.gz", "_gz"),
        SafeName("scores.CSV.GZ", "scores"),
        SafeName("données_été.tsv", "données_été"),
        SafeName(String(repeating: "é", count: 120) + ".csv", String(repeating: "é", count: 50)),
    ])
    func safeNames(c: SafeName) {
        #expect(ReportDirectory.safeName(c.input) == c.name)
    }

    @Test("a hostile file name becomes a safe report name on disk")
    func hostileFileName() throws {
        let data = try temporaryFolder()
        let folder = try temporaryFolder()
        let path = try plant(tinyTable, "-x\u{1B}[31m:javascript.csv", in: data)
        let run = try CalibRun(["audit", path, "--report-dir", folder])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try listing(folder) == ["_x_[31m_javascript.html", "_x_[31m_javascript.json", "_x_[31m_javascript.md", "index.html", "index.md", "junit.xml"])
    }

    struct Clash: Sendable, CustomStringConvertible {
        let description: String
        /// The -o path, relative to the temporary folder; the report folder is `rd`.
        let output: String
        let refused: Bool
    }

    static let clashes: [Clash] = [
        Clash(description: "the HTML index", output: "rd/index.html", refused: true),
        Clash(description: "the Markdown index through ./ and ..", output: "./rd/../rd/index.md", refused: true),
        Clash(description: "junit.xml", output: "rd/junit.xml", refused: true),
        Clash(description: "an input's report", output: "rd/x.json", refused: true),
        Clash(description: "the index in capitals", output: "rd/INDEX.HTML", refused: true),
        Clash(description: "the index through a link to the folder", output: "link/index.html", refused: true),
        Clash(description: "another name in the folder", output: "rd/gates.xml", refused: false),
        Clash(description: "the same name in another folder", output: "elsewhere/index.html", refused: false),
    ]

    @Test("-o onto a file --report-dir writes is refused (exit 64) before any input is read", arguments: clashes)
    func outputInsideReportDirectory(clash: Clash) throws {
        let root = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/rd", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/rd")
        try plant(tinyTable, "x.csv", in: root)
        let run = try CalibRun(["audit", "x.csv", "--report-dir", "rd", "-o", clash.output], directory: root)
        if clash.refused {
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr == "calib: error: -o \"\(clash.output)\": --report-dir \"rd\" writes a file of that name; choose another name or folder\n")
            #expect(try listing(root + "/rd").isEmpty, "nothing written")
        } else {
            #expect(run.status == 0, "\(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: root + "/" + clash.output))
            #expect(try listing(root + "/rd").contains("index.html"))
        }
    }

    @Test("the refusal comes before reading: an input that does not exist is not reported")
    func refusedBeforeReading() throws {
        let root = try temporaryFolder()
        let run = try CalibRun(["audit", "missing.csv", "--report-dir", "rd", "-o", "rd/missing.md"], directory: root)
        #expect(run.status == 64)
        #expect(!run.stderr.contains("cannot open"))
    }

    @Test("junit.xml is written without gates too: an empty test suite per input, valid JUnit XML")
    func junitWithoutGates() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", "--report-dir", folder])
        #expect(run.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/junit.xml"))
        final class Collector: NSObject, XMLParserDelegate {
            var suites: [[String: String]] = [], cases = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "testsuite" || name == "testsuites" { suites.append(attributes) }
                if name == "testcase" { cases += 1 }
            }
        }
        let parser = XMLParser(data: data)
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse())
        #expect(collector.suites.count == 2 && collector.suites.allSatisfy { $0["tests"] == "0" && $0["failures"] == "0" })
        #expect(collector.cases == 0)
    }
}

@Suite("Configuration files: strict JSON, duplicate keys refused")
struct ConfigFileTests {
    struct Config: Sendable, CustomStringConvertible {
        let description: String
        let text: String
        /// The whole `calib: error:` line after the file name; nil when the file is valid.
        let error: String?
    }

    static let configs: [Config] = [
        Config(description: "failOn twice at the top level", text: #"{"failOn": ["ece>0.05"], "failOn": []}"#,
               error: #":1:26: the key "failOn" is given twice in one object (first at line 1, column 2)"#),
        Config(description: "failOn twice, once spelled with an escape", text: #"{"failOn": [], "fail\u004fn": ["ece>0.5"]}"#,
               error: #":1:16: the key "failOn" is given twice in one object (first at line 1, column 2)"#),
        Config(description: "warnOn twice on separate lines", text: "{\n  \"warnOn\": [\"mce>0.3\"],\n  \"minSegmentRows\": 5,\n  \"warnOn\": []\n}\n",
               error: #":4:3: the key "warnOn" is given twice in one object (first at line 2, column 3)"#),
        Config(description: "minSegmentRows twice", text: #"{"minSegmentRows": 1, "minSegmentRows": 2}"#,
               error: #":1:23: the key "minSegmentRows" is given twice in one object (first at line 1, column 2)"#),
        Config(description: "a duplicate inside a nested object", text: #"{"failOn": [{"a": 1, "a": 2}]}"#,
               error: #":1:22: the key "a" is given twice in one object (first at line 1, column 14)"#),
        Config(description: "a key that only appears inside a string is no duplicate", text: #"{"warnOn": ["mce>0.3"], "failOn": ["ece>0.5"], "x\"failOn": 1}"#,
               error: #":1:48: unknown key "x\"failOn"; the keys are failOn, warnOn and minSegmentRows"#),
        Config(description: "keys differing in case are different keys", text: #"{"failOn": [], "FailOn": []}"#,
               error: #":1:16: unknown key "FailOn"; the keys are failOn, warnOn and minSegmentRows"#),
        Config(description: "trailing comma", text: #"{"failOn": [],}"#, error: #":1:15: not valid JSON: expected a key in double quotes"#),
        Config(description: "two documents", text: #"{"failOn": []} {}"#, error: #":1:16: not valid JSON: unexpected text after the JSON value"#),
        Config(description: "a list, not an object", text: #"["ece>0.05"]"#,
               error: #":1:1: not a JSON object; expected {"failOn": ["ece>0.05"], "warnOn": […], "minSegmentRows": 100}"#),
        Config(description: "a fractional minSegmentRows", text: #"{"minSegmentRows": 2.5}"#, error: #":1:20: minSegmentRows must be a whole number at least 0"#),
        Config(description: "a huge minSegmentRows", text: #"{"minSegmentRows": 1e300}"#, error: #":1:20: minSegmentRows must be a whole number at least 0"#),
        Config(description: "a number in failOn", text: #"{"failOn": [0.05]}"#, error: #":1:13: failOn must be a list of gate expressions in double quotes"#),
        Config(description: "a bad gate names its position", text: "{\"failOn\": [\n  \"ece>>\"]}", error: #":2:3: 'ece>>': ">" is not a number"#),
        Config(description: "a lone surrogate", text: #"{"failOn": ["\ud800"]}"#, error: #":1:20: not valid JSON: a lone surrogate in a \u escape"#),
        Config(description: "deep nesting", text: String(repeating: "[", count: 100), error: #":1:65: not valid JSON: nested more than 64 levels deep"#),
        Config(description: "every key once, with a byte-order mark and escapes", text: "\u{FEFF}{\"failOn\": [\"ece>0.5\"], \"warn\\u004fn\": [\"mce>0.9\"], \"minSegmentRows\": 1e2}", error: nil),
    ]

    @Test("each configuration is read or refused with exit 64 and one line naming file, line and column", arguments: configs)
    func config(config: Config) throws {
        let folder = try temporaryFolder()
        let path = try plant(config.text, "calib.json", in: folder)
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", path])
        if let error = config.error {
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr == "calib: error: \(path)\(error)\n")
            #expect(run.stdout.isEmpty, "nothing read")
        } else {
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("pass  ece>0.5") && run.stdout.contains("pass  mce>0.9"))
        }
    }

    /// The limit only has to catch a quadratic reader: about 5·10¹¹ steps on
    /// 1 MiB, far past five minutes even in a release build, where the
    /// linear one takes well under a second. The linear reader once ran past
    /// one minute on a loaded 2-core machine running the whole suite.
    @Test("a 1 MiB configuration on one line is read in linear time", .timeLimit(.minutes(5)))
    func longLine() throws {
        let folder = try temporaryFolder()
        let path = try plant("{\"warnOn\": [], \"x\": [" + Array(repeating: "1", count: 400_000).joined(separator: ",") + "]}", "calib.json", in: folder)
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", path])
        #expect(run.stderr == "calib: error: \(path):1:16: unknown key \"x\"; the keys are failOn, warnOn and minSegmentRows\n")
    }

    @Test("the parser decodes escapes and keeps members in file order")
    func parser() throws {
        let node = try StrictJSON.parse(Array(#"{"a": "\"failOn\": \u00e9\ud83d\ude00", "b": [true, false, null, -0.5e+3]}"#.utf8))
        guard case let .object(members) = node.value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["a", "b"])
        guard case let .string(text) = members[0].node.value else { Issue.record("not a string"); return }
        #expect(text == "\"failOn\": é😀")
        guard case let .array(items) = members[1].node.value, case let .number(number) = items[3].value else { Issue.record("not a list"); return }
        #expect(items.count == 4 && number == "-0.5e+3")
    }

    @Test("a configuration file that cannot be read is exit 66", arguments: ["missing.json", "."])
    func unreadable(name: String) throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", folder + "/" + name])
        #expect(run.status == 66)
        #expect(run.stderr.hasPrefix("calib: error: \(folder)/\(name): cannot read the configuration file: "))
    }
}

@Suite("Usage errors: one style, precise values")
struct UsageErrorTests {
    struct Usage: Sendable, CustomStringConvertible {
        let description: String
        let arguments: [String]
        /// The two lines on standard error.
        let error: String
        let hint: String
    }

    static let audit = "usage: calib audit [<options>] <file> ...; more in 'calib audit --help'"

    static let usages: [Usage] = [
        Usage(description: "an unknown option", arguments: ["audit", "x.csv", "--frobnicate"], error: "unknown option '--frobnicate'", hint: audit),
        Usage(description: "a value not among the choices", arguments: ["audit", "x.csv", "--format", "xml"],
              error: "the value 'xml' is invalid for '--format <terminal|markdown|html|json>'; use one of 'terminal', 'markdown', 'html' or 'json'",
              hint: "--format <terminal|markdown|html|json>: what to print on standard output; more in 'calib audit --help'"),
        Usage(description: "an unknown subcommand", arguments: ["frob"], error: "unexpected argument 'frob'", hint: "usage: calib <subcommand>; more in 'calib --help'"),
        Usage(description: "no input file", arguments: ["audit"], error: "missing expected argument '<file> ...'",
              hint: "<file>: input files or globs; - reads standard input; more in 'calib audit --help'"),
        Usage(description: "a missing value", arguments: ["audit", "x.csv", "--positive"], error: "missing value for '--positive <name>'",
              hint: "--positive <name>: the positive class of a binary task; more in 'calib audit --help'"),
        Usage(description: "an empty positive class", arguments: ["audit", "x.csv", "--positive", ""], error: #"--positive "": needs a class name"#, hint: audit),
        Usage(description: "negative bins", arguments: ["audit", "x.csv", "--bins", "-1"], error: #"--bins "-1": must be a whole number from 1 to 10000"#, hint: audit),
        Usage(description: "zero bins", arguments: ["audit", "x.csv", "--bins", "0"], error: #"--bins "0": must be a whole number from 1 to 10000"#, hint: audit),
        Usage(description: "bins not a number", arguments: ["audit", "x.csv", "--bins", "1e3"], error: #"--bins "1e3": must be a whole number from 1 to 10000"#, hint: audit),
        Usage(description: "a class twice", arguments: ["audit", "x.csv", "--classes", "a,a"], error: #"--classes "a,a": names the class 'a' twice"#, hint: audit),
        Usage(description: "no classes", arguments: ["audit", "x.csv", "--classes", ""], error: #"--classes "": needs at least 2 class names separated by commas"#, hint: audit),
        Usage(description: "an empty class name", arguments: ["audit", "x.csv", "--classes", "a,,b"], error: #"--classes "a,,b": the 2nd class name is empty"#, hint: audit),
        Usage(description: "one class", arguments: ["audit", "x.csv", "--classes", "a"], error: #"--classes "a": needs at least 2 class names separated by commas"#, hint: audit),
        Usage(description: "a score column twice", arguments: ["audit", "x.csv", "--prob", "p,p"], error: #"--prob "p,p": names the column 'p' twice"#, hint: audit),
        Usage(description: "zero threads", arguments: ["audit", "x.csv", "--threads", "0"], error: #"--threads "0": must be a whole number from 1 to 256"#, hint: audit),
        Usage(description: "a threshold above 1", arguments: ["audit", "x.csv", "--threshold", "2"], error: #"--threshold "2": must be a finite number from 0 to 1"#, hint: audit),
        Usage(description: "a NaN threshold", arguments: ["audit", "x.csv", "--threshold", "nan"], error: #"--threshold "nan": must be a finite number from 0 to 1"#, hint: audit),
        Usage(description: "confident-at above 1", arguments: ["audit", "x.csv", "--confident-at", "1.5"], error: #"--confident-at "1.5": must be a finite number from 0 to 1"#, hint: audit),
        Usage(description: "a negative sum tolerance", arguments: ["audit", "x.csv", "--sum-tolerance", "-1"], error: #"--sum-tolerance "-1": must be a finite number of at least 0"#, hint: audit),
        Usage(description: "a negative segment minimum", arguments: ["audit", "x.csv", "--min-segment-rows", "-1"], error: #"--min-segment-rows "-1": must be a whole number of at least 0"#, hint: audit),
        Usage(description: "a two-character delimiter", arguments: ["audit", "x.csv", "--delimiter", ";;"],
              error: #"--delimiter ";;": must be comma, tab, semicolon, pipe or one ASCII character other than a quote or a line break"#, hint: audit),
        Usage(description: "an unknown output extension", arguments: ["audit", "x.csv", "-o", "r.pdf"],
              error: #"-o "r.pdf": cannot tell the report format from the extension; use .json, .md, .html, .txt, or .xml for JUnit XML of the gates"#, hint: audit),
        Usage(description: "an escape sequence in a value", arguments: ["audit", "x.csv", "--bins", "\u{1B}[2J"], error: #"--bins "\u{1b}[2J": must be a whole number from 1 to 10000"#, hint: audit),
        Usage(description: "JUnit XML from losses", arguments: ["losses", "x.csv", "-o", "g.xml"],
              error: #"-o "g.xml": JUnit XML holds the gates of calib audit; calib losses writes .json, .md, .html or .txt"#,
              hint: "usage: calib losses [<options>] <file>; more in 'calib losses --help'"),
        Usage(description: "--report-dir for losses", arguments: ["losses", "x.csv", "--report-dir", "rd"], error: "unknown option '--report-dir'",
              hint: "usage: calib losses [<options>] <file>; more in 'calib losses --help'"),
        Usage(description: "--bins for losses", arguments: ["losses", "x.csv", "--bins", "3"], error: "unknown option '--bins'; did you mean '--beta'?",
              hint: "usage: calib losses [<options>] <file>; more in 'calib losses --help'"),
        Usage(description: "an empty focal gamma", arguments: ["losses", "x.csv", "--focal-gamma", "1,,2"], error: #"--focal-gamma "1,,2": "" is not a number from 0 to 100"#,
              hint: "usage: calib losses [<options>] <file>; more in 'calib losses --help'"),
    ]

    @Test("argument errors read like calib's own: calib: error: then calib: hint:, exit 64", arguments: usages)
    func usage(u: Usage) throws {
        let run = try CalibRun(u.arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr == "calib: error: \(u.error)\ncalib: hint: \(u.hint)\n")
        #expect(run.stdout.isEmpty)
    }

    /// A command line that prints help, the version or a script, and how its output starts.
    struct Printed: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let start: String
        init(_ arguments: [String], _ start: String) { (self.arguments, self.start) = (arguments, start) }
        var testDescription: String { "calib " + arguments.joined(separator: " ") }
    }

    @Test("--help, --version and completion scripts print as before, on standard output, exit 0", arguments: [
        Printed(["--help"], "OVERVIEW: Calibration and imbalance diagnostics"), Printed(["audit", "--help"], "OVERVIEW: Audit the calibration"),
        Printed(["help", "losses"], "OVERVIEW: Compare what each loss"), Printed(["--version"], "0.1.0\n"), Printed(["--generate-completion-script", "bash"], "#!/bin/bash"),
    ])
    func help(c: Printed) throws {
        let run = try CalibRun(c.arguments)
        #expect(run.status == 0 && run.stderr.isEmpty)
        #expect(run.stdout.hasPrefix(c.start))
    }

    @Test("a message longer than 2,000 characters is cut, on one line")
    func longMessage() throws {
        let path = String(repeating: "d/", count: 1_500) + "x\n.csv"
        let run = try CalibRun(["audit", path])
        #expect(run.status == 66)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].count < 2_100 && lines[0].hasSuffix("more characters)"))
        #expect(lines[0].hasPrefix("calib: error: d/d/"))
    }

    @Test("calib losses --help offers no option that does nothing there")
    func lossesHelp() throws {
        let help = try CalibRun(["losses", "--help"]).stdout
        for flag in ["--report-dir", "--group", "--bins", "--threshold", "--confident-at", "--fail-on"] {
            #expect(!help.contains(flag), "\(flag)")
        }
        for flag in ["--label", "--prob", "--positive", "--classes", "--delimiter", "-o, --output", "--format", "--focal-gamma"] {
            #expect(help.contains(flag), "\(flag)")
        }
    }

    @Test("calib audit --help says -o writes JUnit XML from .xml, and what --report-dir writes")
    func auditHelp() throws {
        let help = try CalibRun(["audit", "--help"]).stdout.replacingOccurrences(of: "\n ", with: "").replacingOccurrences(of: "  ", with: "")
        #expect(help.contains(".xml for JUnit XML of the gates"))
        #expect(help.contains("junit.xml of the gates"))
    }

    /// A --delimiter value and the separator it names.
    struct Separator: CustomTestStringConvertible, Sendable {
        let name: String
        let separator: String
        init(_ name: String, _ separator: String) { (self.name, self.separator) = (name, separator) }
        var testDescription: String { "--delimiter " + name }
    }

    @Test("--delimiter names a separator", arguments: [Separator("pipe", "|"), Separator("semicolon", ";"), Separator("tab", "\t"), Separator("comma", ","), Separator(":", ":")])
    func delimiter(c: Separator) throws {
        let (name, separator) = (c.name, c.separator)
        let run = try CalibRun(["audit", "-", "--delimiter", name, "--format", "json"], stdin: tinyTable.replacingOccurrences(of: ",", with: separator))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"rows\": 4,"))
    }

    @Test("values that look like options are taken as values", arguments: [["--positive", "-1"], ["--classes", "-1,1"]])
    func dashValues(arguments: [String]) throws {
        let run = try CalibRun(["audit", "-"] + arguments, stdin: "label,prob\n-1,0.2\n1,0.8\n-1,0.4\n")
        #expect(run.status == 0, "\(run.stderr)")
    }
}

/// calib's exit statuses (Testing has an `ExitStatus` of its own).
typealias Status = calib.ExitStatus

@Suite("Exit statuses")
struct StatusTests {
    @Test("a run's status: an output failure, then the first input failure, then a failed gate", arguments: [
        (true, [Status.noInput], true, Status.cannotWrite),
        (false, [.noInput, .dataError], true, .noInput),
        (false, [.dataError, .noInput], false, .dataError),
        (false, [], true, .gateFailed),
        (false, [], false, .success),
    ])
    func precedence(outputFailed: Bool, inputs: [Status], gates: Bool, expected: Status) {
        #expect(Status.of(outputFailed: outputFailed, inputFailures: inputs, gatesFailed: gates) == expected)
    }

    @Test("the documented codes")
    func codes() {
        #expect(Status.allCases.map(\.rawValue) == [0, 1, 64, 65, 66, 74])
    }
}
