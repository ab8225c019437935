/// What on-call reads: the terminal forms of the job's answers, beside their JSON.
extension JobResult {
    /// The result as on-call reads it in a terminal.
    public func text() -> String {
        switch self {
        case .status(let report):
            return report.text()
        case .refill(let summary):
            let kind = summary.trigger == .topUp ? "top-up" : "refill"
            var lines = ["\(kind) \(summary.status.rawValue.replacingOccurrences(of: "_", with: " "))\(summary.replayed ? " (replayed: the earlier run's result)" : "")"]
            if summary.status == .notNeeded, let available = summary.poolBefore, let watermark = summary.lowWatermark {
                lines.append("pool:      \(available) available, at or above the low watermark \(watermark): nothing to do")
                if let sizing = summary.sizing { lines.append("sizing:    \(sizing.explanation)") }
                return lines.joined(separator: "\n")
            }
            if let runId = summary.runId { lines.append("run:       \(runId)") }
            if let before = summary.poolBefore, let after = summary.poolAfter, let target = summary.target {
                lines.append("pool:      \(before) → \(after) of target \(target)")
            }
            if let sizing = summary.sizing { lines.append("sizing:    \(sizing.explanation)") }
            if let hours = summary.coverHours { lines.append("covers:    \(SizingDecision.hours(hours)) of forecast demand") }
            lines.append("batches:   \(summary.batchesCommitted)/\(summary.batchesPlanned) committed, \(summary.pairsInserted) pairs inserted, \(summary.duplicatesSkipped) duplicates skipped")
            if let resumed = summary.resumed {
                lines.append("resumed:   \(resumed.batchesCommitted) batches of \(resumed.runIds.count) earlier runs, \(resumed.pairsInserted) pairs")
            }
            lines.append("TOME:      \(summary.tomeCalls) calls in \(summary.durationMs) ms")
            if let error = summary.error { lines.append("note:      \(error)") }
            return lines.joined(separator: "\n")
        case .migrated(let version):
            return "schema is at version \(version)"
        case .rejected(let message):
            return "rejected: \(message)"
        case .failed(let failure):
            return "failed: \(failure)"
        }
    }
}

extension AuditReport {
    /// The report as one line of JSON.
    public func json() -> String {
        JSONLine.encode(self)
    }
}
