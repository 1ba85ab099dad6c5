// The libFuzzer driver for calib's readers, engine, renderers and gate parser.
// Built only by Tests/Fuzz/run_fuzzers.sh, which instruments every module for
// coverage and AddressSanitizer and links libFuzzer's runtime without its
// main: this file's top-level code is the program's main and hands over to
// LLVMFuzzerRunDriver. CALIB_FUZZ_TARGET picks delimited (default), jsonl,
// gate, labels or partial. A broken property (FuzzHarness.Outcome.broken) aborts, so
// that libFuzzer keeps the input as a crash.
import CalibTestSupport
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

nonisolated(unsafe) var selectedTarget: ([UInt8]) -> FuzzHarness.Outcome = FuzzHarness.delimited
switch getenv("CALIB_FUZZ_TARGET").map({ String(cString: $0) }) {
case "jsonl": selectedTarget = FuzzHarness.jsonLines
case "gate": selectedTarget = FuzzHarness.gate
case "labels": selectedTarget = FuzzHarness.labels
case "partial": selectedTarget = FuzzHarness.partial
default: selectedTarget = FuzzHarness.delimited
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = runFuzzerDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    if case let .broken(reason) = selectedTarget(Array(UnsafeBufferPointer(start: data, count: size))) {
        print("property broken: \(reason)")
        abort()
    }
    return 0
}
exit(status)
