#!/usr/bin/env python3
"""Where a hot function's instructions go: callgrind's self cost (Ir) of the
functions whose mangled name contains PATTERN, by source line and by the
innermost inlined function, or instruction by instruction (--asm).

valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes (it gives up on the
binary), so profile a copy stripped of its debug sections, with instruction
positions, and map the addresses back through the unstripped build (same
addresses) with llvm-symbolizer, or objdump for --asm:

  strip --strip-debug -o /tmp/calib-s .build/release/calib
  valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=/tmp/cg.out \\
      /tmp/calib-s audit FILE --format json --bootstrap 0 --threads 1 > /dev/null
  python3 Tests/Benchmarks/callgrind_lines.py /tmp/cg.out AuditAccumulatorV3add .build/release/calib [--top 40]
  python3 Tests/Benchmarks/callgrind_lines.py /tmp/cg.out AuditAccumulatorV3add .build/release/calib --asm [--min 500000]

Counts divided by the file's rows are instructions a row; judge a change to a
hot path by them (issue 19), not by wall time on this noisy machine.
Needs: valgrind, llvm-symbolizer (the Swift toolchain has one), objdump.
"""
import argparse
import collections
import re
import subprocess


def source_path(path):
    """A source path from the package's `Sources/` on (the build's absolute prefix dropped)."""
    return re.sub(r"^.*/Sources/", "", path)


def self_costs(path, pattern):
    """Self Ir per instruction address of the functions whose name contains
    `pattern`. Names are given once, at first use, in `fn=`/`cfn=` lines and
    later by id alone; the cost line after `calls=` is the call's inclusive
    cost, not the caller's own. A cost line's last number is its Ir
    (callgrind's only event unless asked for more)."""
    names, costs = {}, collections.Counter()
    current, address, after_call = "", 0, False
    with open(path) as lines:
        for line in lines:
            if line.startswith("positions:") and "instr" not in line.split():
                raise SystemExit(f"{path} has no instruction addresses: profile with valgrind --dump-instr=yes")
            if line.startswith(("fn=", "cfn=")):
                m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("fn="):
                    current = names.get(m.group(1), "")
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            fields = line.split()
            position = fields[0]
            if position.startswith("0x"):
                address = int(position, 16)
            elif position[0] == "+":
                address += int(position[1:])
            elif position[0] == "-":
                address -= int(position[1:])
            if after_call:
                after_call = False
                continue
            if pattern in current and len(fields) > 1:
                costs[address] += int(fields[-1])
    return costs


def by_line(costs, binary, top):
    total = sum(costs.values())
    addresses = sorted(costs)
    query = "".join(f"{a:#x}\n" for a in addresses)
    output = subprocess.run(["llvm-symbolizer", f"--obj={binary}", "--inlining", "--functions=short", "--demangle"],
                            input=query, capture_output=True, text=True, check=True).stdout
    frames = output.strip("\n").split("\n\n")
    lines, functions = collections.Counter(), collections.Counter()
    for address, frame in zip(addresses, frames):
        parts = frame.split("\n")
        function = parts[0][:80]
        location = source_path(parts[1] if len(parts) > 1 else "?").rsplit(":", 1)[0]
        lines[(location, function)] += costs[address]
        functions[function] += costs[address]
    print(f"self Ir {total:,}")
    print("--- by innermost inlined function")
    for function, cost in functions.most_common(top):
        print(f"{cost:>14,} {100 * cost / total:5.1f}%  {function}")
    print("--- by source line")
    for (location, function), cost in lines.most_common(top):
        print(f"{cost:>14,} {100 * cost / total:5.1f}%  {location}  [{function[:50]}]")


def by_instruction(costs, binary, minimum):
    low, high = min(costs), max(costs) + 16
    listing = subprocess.run(["objdump", "-d", "-l", "--no-show-raw-insn", f"--start-address={low}",
                              f"--stop-address={high}", binary], capture_output=True, text=True, check=True).stdout
    source = ""
    for line in listing.split("\n"):
        m = re.match(r"\s*([0-9a-f]+):\s*(.*)", line)
        if m:
            cost = costs.get(int(m.group(1), 16), 0)
            if cost >= minimum:
                print(f"{cost:>14,}  {m.group(1)}  {m.group(2)[:70]:70s} {source}")
        elif line.startswith("/"):
            source = source_path(line.split(" ")[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("callgrind_out")
    parser.add_argument("pattern", help="part of the mangled function name")
    parser.add_argument("binary", help="the unstripped build the profiled copy was stripped from")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--asm", action="store_true", help="instruction by instruction, in address order")
    parser.add_argument("--min", type=int, default=500_000, help="with --asm: leave out instructions below this Ir")
    args = parser.parse_args()
    costs = self_costs(args.callgrind_out, args.pattern)
    if not costs:
        raise SystemExit(f"no function matching {args.pattern!r} has a cost in {args.callgrind_out}")
    if args.asm:
        by_instruction(costs, args.binary, args.min)
    else:
        by_line(costs, args.binary, args.top)


if __name__ == "__main__":
    main()
