/// Paths the tests need: the package root and its folders, found from this file's location.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static var packageRoot: String {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        // …/Tests/CalibTestSupport/Paths.swift → …
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    public static var golden: String { packageRoot + "/Tests/CalibCoreTests/Golden" }
    public static var sampleData: String { packageRoot + "/SampleData" }
    public static var malformed: String { packageRoot + "/Tests/CalibInputTests/Malformed" }
}
