// The machine's limit for an audit of a file, measured (issue 19):
//   swift run -c release CalibBenchmarks --limit PATH [THREADS]
// maps the CSV file, cuts it into THREADS parts (default 2) at line breaks,
// and on each part only finds the line breaks and parses every field as a
// number with calib's own parser (bit-exact: `DecimalParser.probabilityPrefix`
// for the probability spelling, as the reader's fused path, else
// `DecimalParser.prefixValue`, `DecimalParser.parse` for what it leaves), with no validation and no
// metrics. Prints the wall time of the whole (mapping, page faults, threads
// included), the values parsed and their sum (so that nothing is optimised
// away): `limit SECONDS s VALUES values LINES lines sum SUM`.
// run_benchmarks.py reports calib's time as a multiple of this one.
import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// The lines, values and sum of values of `bytes[start..<end]`, which starts
/// at a line's start: every comma-separated field parsed where it starts
/// (the fast parser; the exact parser on what it declines).
func parseNumbers(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (lines: Int, values: Int, sum: Double) {
    DecimalParser.probabilityPowers.withUnsafeBufferPointer { powers in
        parseNumbers(bytes, start, end, powers: powers.baseAddress!)
    }
}

func parseNumbers(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, powers: UnsafePointer<UInt64>) -> (lines: Int, values: Int, sum: Double) {
    var i = start
    var lines = 0
    var values = 0
    var sum = 0.0
    while i < end {
        var stop = i
        if let v = DecimalParser.probabilityPrefix(bytes, from: i, end: end, powers: powers, stop: &stop)
                ?? DecimalParser.prefixValue(bytes, from: i, end: end, stop: &stop), stop < end,
           bytes[stop] == 0x2C || bytes[stop] == 0x0A {
            sum += v
        } else {
            // Not a plain number: the field's end, then the exact parser.
            stop = i
            while stop < end && bytes[stop] != 0x2C && bytes[stop] != 0x0A { stop += 1 }
            if case let .value(v) = DecimalParser.parse(UnsafeBufferPointer(start: bytes + i, count: stop - i)) { sum += v }
        }
        values += 1
        if stop < end && bytes[stop] == 0x0A { lines += 1 }
        i = stop + 1
    }
    return (lines, values, sum)
}

func measureLimit(arguments: [String]) {
    guard let path = arguments.first else {
        print("usage: CalibBenchmarks --limit PATH [THREADS]")
        exit(64)
    }
    let threads = max(1, arguments.dropFirst().first.flatMap { Int($0) } ?? 2)
    let clock = ContinuousClock()
    let started = clock.now
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { print("cannot open \(path)"); exit(66) }
    var status = stat()
    fstat(fd, &status)
    let size = Int(status.st_size)
    guard size > 0, let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
        print("cannot map \(path)")
        exit(66)
    }
    let bytes = UnsafePointer(mapped.assumingMemoryBound(to: UInt8.self))
    // After the header; parts cut after a line break.
    let header = (memchr(bytes, 0x0A, size).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - bytes } ?? size) + 1
    var cuts = [header]
    for t in 1..<threads {
        var at = max(cuts[t - 1], header + (size - header) * t / threads)
        while at < size && bytes[at - 1] != 0x0A { at += 1 }
        cuts.append(at)
    }
    cuts.append(size)
    // One slot per thread, written through a pointer (no shared array mutated from threads).
    let slots = UnsafeMutableBufferPointer<(lines: Int, values: Int, sum: Double)>.allocate(capacity: threads)
    slots.initialize(repeating: (0, 0, 0))
    defer { slots.deallocate() }
    let slotAddress = Int(bitPattern: slots.baseAddress!)
    let base = Int(bitPattern: bytes)
    let bounds = cuts
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let part = parseNumbers(UnsafePointer(bitPattern: base)!, bounds[t], bounds[t + 1])
        UnsafeMutablePointer<(lines: Int, values: Int, sum: Double)>(bitPattern: slotAddress)![t] = part
    }
    let results = (parts: Array(slots), ())
    munmap(mapped, size)
    close(fd)
    let elapsed = clock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let lines = results.parts.reduce(0) { $0 + $1.lines }
    let values = results.parts.reduce(0) { $0 + $1.values }
    let sum = results.parts.reduce(0.0) { $0 + $1.sum }
    print("limit \(seconds) s \(values) values \(lines) lines sum \(sum) threads \(threads)")
}
