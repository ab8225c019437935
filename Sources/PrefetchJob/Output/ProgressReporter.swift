#if canImport(Glibc)
import Glibc
#endif

/// Shows refill progress: a bar redrawn in place on a terminal, a plain line per tenth elsewhere.
public struct ProgressReporter: Sendable {
    public let isTerminal: Bool

    /// - Parameter isTerminal: draw a bar; by default, when standard error is a terminal.
    public init(isTerminal: Bool? = nil) {
        self.isTerminal = isTerminal ?? (isatty(STDERR_FILENO) == 1)
    }

    public func report(_ progress: RefillProgress) {
        guard progress.batchesTotal > 0 else { return }
        let fraction = Double(progress.batchesDone) / Double(progress.batchesTotal)
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = "\r\(bar) \(progress.batchesDone)/\(progress.batchesTotal) batches, \(progress.pairsInserted) pairs"
            write(line + (progress.batchesDone == progress.batchesTotal ? "\n" : ""))
        } else {
            // One line per tenth of the plan keeps logs short for long runs.
            let step = max(1, progress.batchesTotal / 10)
            guard progress.batchesDone % step == 0 || progress.batchesDone == progress.batchesTotal else { return }
            write("progress: run \(progress.runId) \(progress.batchesDone)/\(progress.batchesTotal) batches, \(progress.pairsInserted) pairs\n")
        }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
