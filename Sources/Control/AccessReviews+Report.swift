import Store
import Wire

/// The evidence an auditor keeps from a review: one CSV row per member (RFC 4180, the
/// same quoting and formula neutralization as the audit export).
extension ControlPlane {
    public static let reviewReportHeader = [
        "review_id", "review_status", "started_by", "started_at", "completed_at", "member_id",
        "handle", "role", "status", "permissions", "channels", "decision", "new_role",
        "new_channels", "comment", "reviewer", "decided_at",
    ]

    public func accessReviewReport(_ caller: Caller, review: Int64) throws -> [UInt8] {
        try caller.require(.readAudit)
        return try accessReviewReport(tenant: caller.tenant, review: review, actor: caller.actor)
    }

    /// The review's report as CSV; producing it is audited as `review.export`.
    public func accessReviewReport(tenant: TenantID, review: Int64, actor: Actor) throws
        -> [UInt8]
    {
        let loaded = try accessReview(tenant: tenant, id: review)
        try recordAuditEvent(
            tenant: tenant, actor: actor, action: .reviewExport, target: "review:\(review)")
        let record = loaded.record
        var out: [UInt8] = []
        AuditCSV.appendRow(Self.reviewReportHeader, to: &out)
        for item in loaded.items {
            AuditCSV.appendRow([
                String(record.id), record.status, record.startedBy,
                AuditCSV.isoTime(ms: record.startedAtMs),
                record.completedAtMs.map(AuditCSV.isoTime) ?? "", String(item.member.rawValue),
                item.handle, item.role, item.status, item.permissions, item.channels,
                item.decision ?? "", item.newRole ?? "", item.newChannels ?? "",
                item.comment ?? "", item.reviewer ?? "",
                item.decidedAtMs.map(AuditCSV.isoTime) ?? "",
            ], to: &out)
        }
        return out
    }
}
