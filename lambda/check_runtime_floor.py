"""Checks that an ELF binary can start on AWS Lambda's provided.al2023 runtime: its architecture,
the shared libraries it needs (only those the runtime has) and the symbol versions it needs from
each (none newer than the runtime's glibc 2.34 and GCC 11 runtime libraries). The dynamic loader
refuses a binary that breaks either, before main, so every invocation would fail.

    python3 lambda/check_runtime_floor.py BINARY --arch x86_64|arm64

Exit 0 and one "ok" line when it fits; otherwise 1 and a line per problem, naming the library,
the version and the symbols that need it. Reads the binary with objdump (binutils).
"""

import argparse
import re
import subprocess
import sys

# provided.al2023: glibc 2.34, libstdc++ and libgcc_s of GCC 11, zlib 1.2.11. Each version prefix
# with the newest version the runtime defines; the libraries it has, by soname.
FLOOR = {
    "GLIBC": (2, 34),
    "GLIBCXX": (3, 4, 29),
    "CXXABI": (1, 3, 13),
    "GCC": (7, 0, 0),
    "ZLIB": (1, 2, 11),
}
LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}
# objdump's name for each architecture Lambda runs.
ARCHITECTURES = {"x86_64": "i386:x86-64", "arm64": "aarch64"}


def objdump(flag, binary):
    try:
        return subprocess.run(["objdump", flag, binary], check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        sys.exit("error: objdump is missing (Debian's binutils)")
    except subprocess.CalledProcessError as error:
        sys.exit("error: objdump cannot read %s: %s" % (binary, error.stderr.strip()))


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def required_versions(private_headers):
    """{library: {version name}} from objdump -p's "Version References"."""
    required, library = {}, None
    in_references = False
    for line in private_headers.splitlines():
        if line.startswith("Version References:"):
            in_references = True
            continue
        if not in_references:
            continue
        match = re.match(r"\s+required from (\S+):", line)
        if match:
            library = match.group(1)
            required.setdefault(library, set())
            continue
        match = re.match(r"\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)", line)
        if match and library:
            required[library].add(match.group(1))
        elif line.strip() == "" and required:
            break
    return required


def symbols_by_version(dynamic_symbols):
    """{version name: [symbol]} for the undefined dynamic symbols (objdump -T -C: demangled)."""
    found = {}
    for line in dynamic_symbols.splitlines():
        match = re.search(r"\*UND\*\s+\S+\s+\(?([A-Z]+_[0-9.]+)\)?\s+(.+)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--arch", required=True, choices=sorted(ARCHITECTURES))
    options = parser.parse_args()

    problems = []
    header = objdump("-f", options.binary)
    match = re.search(r"architecture: ([^,\s]+)", header)
    found_arch = match.group(1) if match else "unknown"
    if found_arch != ARCHITECTURES[options.arch]:
        problems.append("built for %s, not %s (%s)" % (found_arch, options.arch, ARCHITECTURES[options.arch]))

    private = objdump("-p", options.binary)
    needed = re.findall(r"^\s+NEEDED\s+(\S+)", private, re.MULTILINE)
    for library in needed:
        if library not in LIBRARIES:
            problems.append("needs %s, which provided.al2023 does not have" % library)

    by_version = symbols_by_version(objdump("-TC", options.binary))
    newest = {}
    for library, versions in sorted(required_versions(private).items()):
        for version in sorted(versions):
            prefix, _, number = version.partition("_")
            floor = FLOOR.get(prefix)
            if floor is None:
                problems.append("needs %s from %s, a version family provided.al2023 is not known to have" % (version, library))
                continue
            if version_tuple(number) > floor:
                symbols = "; ".join(sorted(set(by_version.get(version, [])))) or "(symbols not listed)"
                problems.append("needs %s from %s, newer than provided.al2023's %s_%s: %s"
                                % (version, library, prefix, ".".join(map(str, floor)), symbols))
            if prefix not in newest or version_tuple(number) > version_tuple(newest[prefix]):
                newest[prefix] = number

    if problems:
        for problem in problems:
            print("error: %s: %s" % (options.binary, problem), file=sys.stderr)
        sys.exit(1)
    print("ok: %s is %s, needs %s; newest versions: %s" % (
        options.binary, options.arch, " ".join(needed),
        ", ".join("%s_%s" % item for item in sorted(newest.items()))))


if __name__ == "__main__":
    main()
