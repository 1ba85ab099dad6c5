// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Upcoming language features turned on for every target, as swift-log does.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "calib",
    products: [
        .executable(name: "calib", targets: ["calib"]),
        .library(name: "CalibCore", targets: ["CalibCore"]),
        .library(name: "CalibInput", targets: ["CalibInput"]),
        .library(name: "CalibReport", targets: ["CalibReport"]),
    ],
    dependencies: [
        // The command-line tool only: typed options, generated help and
        // usage errors (exit 64) that we would otherwise hand-write and test.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Documentation only: provides `swift package generate-documentation`
        // for the DocC catalogue in Sources/CalibCore/CalibCore.docc; it adds no code to any target.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The analysis engine: standard library and libc maths only. Optimised in
        // debug builds too: the tests run real audits, and the bootstrap's 200
        // replicates are 40× slower unoptimised.
        .target(
            name: "CalibCore",
            dependencies: ["CalibKernels"],
            swiftSettings: strictSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // The bootstrap's loops over replicates, in C: Swift compiles for the
        // x86-64 baseline (SSE2), and these loops need AVX-512 or AVX2, chosen at
        // run time, to add 200 replicates a row at under 2.5× the cost of no
        // intervals (Sources/CalibKernels/Kernels.c; standard C only, no library).
        // The recalibration fits' passes (FitKernels.c) keep a block's sums in
        // registers across libm's exp and log1p, which Swift spills at each call.
        .target(name: "CalibKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))],
                linkerSettings: [.linkedLibrary("m")]),
        // The system zlib (present on every Linux) for `.gz` input; no package.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "CalibInput",
            dependencies: ["CalibCore", "CZlib"],
            exclude: ["make_powers_of_five.py"],
            swiftSettings: strictSettings
        ),
        .target(name: "CalibReport", dependencies: ["CalibCore", "CalibInput"], swiftSettings: strictSettings),
        .executableTarget(
            name: "calib",
            dependencies: [
                "CalibCore", "CalibInput", "CalibReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "CalibTestSupport",
            dependencies: ["CalibCore", "CalibInput", "CalibReport"],
            path: "Tests/CalibTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CalibCoreTests",
            dependencies: ["CalibCore", "CalibKernels", "CalibInput", "CalibTestSupport"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CalibInputTests",
            dependencies: ["CalibCore", "CalibInput", "CalibTestSupport"],
            exclude: ["Malformed"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CalibReportTests",
            dependencies: ["CalibCore", "CalibInput", "CalibReport", "CalibTestSupport"],
            swiftSettings: strictSettings
        ),
        // Micro-benchmarks of the parser, the read path and the accumulators,
        // run by Tests/Benchmarks/run_benchmarks.py (timing stays out of `swift test`).
        .executableTarget(
            name: "CalibBenchmarks",
            dependencies: ["CalibCore", "CalibInput", "CalibTestSupport"],
            path: "Tests/Benchmarks/Micro",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CalibCLITests",
            dependencies: ["calib", "CalibTestSupport"],
            exclude: ["Parts"],
            swiftSettings: strictSettings
        ),
    ]
)

// The libFuzzer target exists only when Tests/Fuzz/run_fuzzers.sh builds it
// (CALIB_FUZZ=1, with -sanitize=fuzzer): it has no main of its own.
if ProcessInfo.processInfo.environment["CALIB_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "CalibFuzz",
        dependencies: ["CalibTestSupport"],
        path: "Tests/Fuzz/Target",
        swiftSettings: strictSettings
    ))
}
