import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder `--report-dir` fills: `<name>.html`, `<name>.md` and `<name>.json`
/// per input, `index.html` and `index.md` comparing them, and `junit.xml` of the
/// gates (always, with an empty test suite per input when there are no gates).
///
/// Names are settled from the input paths before anything is read, so they do
/// not depend on which inputs fail, and no two files of a run share a name:
/// - a name is the input's file name without folders, `.gz` and extension
///   (`stdin` for standard input), made a safe file name by ``safeName(_:)``;
/// - `index` is reserved for the index pages, and names are unique ignoring
///   case (case-insensitive file systems): a taken name gets `-2`, `-3`, … so
///   `index.csv` is reported as `index-2.*`, `a/x.csv` and `b/x.csv` as `x.*` and
///   `x-2.*`. `junit.xml` cannot clash: input reports never end in `.xml`.
struct ReportDirectory {
    let folder: String
    /// One report name per input, in input order.
    let names: [String]

    /// The report name no input may take.
    static let reservedName = "index"

    init(folder: String, inputs: [String]) {
        self.folder = folder
        var used: Set<String> = [Self.reservedName]
        var names: [String] = []
        for input in inputs {
            let base = Self.safeName(input)
            var name = base
            var n = 2
            while used.contains(name.lowercased()) {
                name = "\(base)-\(n)"
                n += 1
            }
            used.insert(name.lowercased())
            names.append(name)
        }
        self.names = names
    }

    /// Every file the folder gets from this run.
    var fileNames: [String] {
        names.flatMap { ["\($0).html", "\($0).md", "\($0).json"] } + ["index.html", "index.md", "junit.xml"]
    }

    /// The longest report name, in UTF-8 bytes (a file name may have 255, and `-NNNN.html` follows).
    static let nameLimit = 100

    /// An input's report name as a safe file name: control and format characters
    /// (ESC, BEL, bidirectional overrides …), line separators and the characters
    /// that are not allowed in file names on some systems or in CI artifact names
    /// (`/ \ : * ? " < > |`) become `_`, as do a leading `.` or `-` (a hidden file,
    /// an option) and a trailing `.` or space; cut at ``nameLimit`` bytes; `input` if empty.
    static func safeName(_ input: String) -> String {
        if input == "-" { return "stdin" }
        var name = String(input.split(separator: "/").last ?? "")
        if name.lowercased().hasSuffix(".gz") && name.count > 3 { name.removeLast(3) }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                scalars.append("_")
            default:
                scalars.append("/\\:*?\"<>|".unicodeScalars.contains(scalar) ? "_" : scalar)
            }
        }
        name = String(scalars)
        while name.utf8.count > nameLimit { name.removeLast() }
        if name.hasPrefix(".") || name.hasPrefix("-") { name = "_" + name.dropFirst() }
        if name.hasSuffix(".") || name.hasSuffix(" ") { name = String(name.dropLast()) + "_" }
        return name.isEmpty ? "input" : name
    }

    /// The first `-o` path that names a file this folder will write (compared
    /// ignoring case), which would overwrite it or be overwritten.
    func collision(with outputs: [String]) -> String? {
        let written = Set(fileNames.map { $0.lowercased() })
        for output in outputs {
            let slash = output.lastIndex(of: "/")
            let name = slash.map { String(output[output.index(after: $0)...]) } ?? output
            let parent = slash.map { String(output[...$0]) } ?? "."
            if written.contains(name.lowercased()) && Self.sameFolder(parent, folder) { return output }
        }
        return nil
    }

    /// Whether two paths name the same folder: the same path once made absolute
    /// and `.`/`..` resolved, or (both existing) the same device and inode, which
    /// also sees through symbolic links.
    static func sameFolder(_ a: String, _ b: String) -> Bool {
        if normalised(a) == normalised(b) { return true }
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// An absolute path with `.`, `..` and repeated slashes resolved lexically.
    static func normalised(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            absolute = String(cString: cwd) + "/" + path
            free(cwd)
        }
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Writes the reports (`index` is each report's input position) and the
    /// index pages and `junit.xml`. Returns the writes that failed; the others still happen.
    func write<R: DeliverableReport>(_ reports: [(input: Int, report: R)]) -> [OutputError] {
        do { try makeDirectory(folder) } catch let error as OutputError { return [error] } catch { return [] }
        var failures: [OutputError] = []
        func write(_ text: String, _ name: String) {
            do { try writeAtomically(text, to: "\(folder)/\(name)") } catch let error as OutputError { failures.append(error) } catch {}
        }
        for (input, report) in reports {
            let name = names[input]
            write(report.page(.html), "\(name).html")
            write(report.page(.markdown), "\(name).md")
            write(report.page(.json), "\(name).json")
        }
        write(R.index(reports.map { ($0.report, "\(names[$0.input]).html") }, format: .html), "index.html")
        write(R.index(reports.map { ($0.report, "\(names[$0.input]).md") }, format: .markdown), "index.md")
        write(JUnitRenderer.render(reports.map(\.report)), "junit.xml")
        return failures
    }
}

/// Creates a folder and its parents, as `mkdir -p`.
func makeDirectory(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw OutputError(path: path, reason: errorText(errno))
        }
    }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
        throw OutputError(path: path, reason: "it exists and is not a folder")
    }
}
