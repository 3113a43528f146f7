import Wire

/// An access review cycle of one tenant.
public struct AccessReviewRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let id: Int64
    /// The audit actor who started it ("member:<id>", "uid:<n>").
    public let startedBy: String
    /// Unix time in ms.
    public let startedAtMs: Int64
    /// "open" or "completed".
    public let status: String
    public let completedBy: String?
    public let completedAtMs: Int64?
}

/// One member in a review: the access they had when the cycle started, and the decision.
public struct AccessReviewItem: Sendable, Equatable {
    public let reviewID: Int64
    public let member: MemberID
    public let handle: String
    public let role: String
    public let status: String
    /// Permission names, ";"-separated, sorted.
    public let permissions: String
    /// Channel names, ";"-separated, sorted.
    public let channels: String
    /// "approve", "modify" or "revoke"; nil while undecided.
    public let decision: String?
    public let newRole: String?
    /// Channel names after a modify, ";"-separated.
    public let newChannels: String?
    public let comment: String?
    public let reviewer: String?
    public let decidedAtMs: Int64?

    public init(
        reviewID: Int64, member: MemberID, handle: String, role: String, status: String,
        permissions: String, channels: String, decision: String? = nil,
        newRole: String? = nil, newChannels: String? = nil, comment: String? = nil,
        reviewer: String? = nil, decidedAtMs: Int64? = nil
    ) {
        self.reviewID = reviewID
        self.member = member
        self.handle = handle
        self.role = role
        self.status = status
        self.permissions = permissions
        self.channels = channels
        self.decision = decision
        self.newRole = newRole
        self.newChannels = newChannels
        self.comment = comment
        self.reviewer = reviewer
        self.decidedAtMs = decidedAtMs
    }
}

extension ReadTransaction {
    public func accessReview(_ scope: TenantScope, id: Int64) throws -> AccessReviewRecord? {
        try scoped(
            scope, """
                SELECT tenant_id, id, started_by, started_at_ms, status, completed_by,
                    completed_at_ms
                FROM access_reviews WHERE tenant_id = ?1 AND id = ?2
                """,
            [.integer(id)]
        ).first.map { row in
            AccessReviewRecord(
                tenant: TenantID(row.int(0)), id: row.int(1), startedBy: row.text(2),
                startedAtMs: row.int(3), status: row.text(4), completedBy: row.optionalText(5),
                completedAtMs: row.optionalInt(6))
        }
    }

    /// The review's items, by handle.
    public func accessReviewItems(_ scope: TenantScope, review: Int64) throws
        -> [AccessReviewItem]
    {
        try scoped(
            scope, """
                SELECT review_id, member_id, handle, role, status, permissions, channels,
                    decision, new_role, new_channels, comment, reviewer, decided_at_ms
                FROM access_review_items WHERE tenant_id = ?1 AND review_id = ?2
                ORDER BY handle
                """,
            [.integer(review)]
        ).map { row in
            AccessReviewItem(
                reviewID: row.int(0), member: MemberID(row.int(1)), handle: row.text(2),
                role: row.text(3), status: row.text(4), permissions: row.text(5),
                channels: row.text(6), decision: row.optionalText(7),
                newRole: row.optionalText(8), newChannels: row.optionalText(9),
                comment: row.optionalText(10), reviewer: row.optionalText(11),
                decidedAtMs: row.optionalInt(12))
        }
    }
}

extension WriteTransaction {
    public func insertAccessReview(_ scope: TenantScope, startedBy: String, nowMs: Int64)
        throws -> Int64
    {
        let id = try insertScoped(
            scope, """
                INSERT INTO access_reviews (tenant_id, started_by, started_at_ms, status)
                VALUES (?1, ?2, ?3, 'open')
                """,
            [.text(startedBy), .integer(nowMs)])
        return id
    }

    public func insertAccessReviewItem(_ scope: TenantScope, _ item: AccessReviewItem) throws {
        _ = try scoped(
            scope, """
                INSERT INTO access_review_items (tenant_id, review_id, member_id, handle, role,
                    status, permissions, channels)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """,
            [.integer(item.reviewID), .integer(item.member.rawValue), .text(item.handle),
             .text(item.role), .text(item.status), .text(item.permissions),
             .text(item.channels)])
    }

    /// Records a decision on an undecided item; false when there is no such item or it
    /// was already decided.
    public func decideAccessReviewItem(
        _ scope: TenantScope, review: Int64, member: MemberID, decision: String,
        newRole: String?, newChannels: String?, comment: String, reviewer: String, nowMs: Int64
    ) throws -> Bool {
        _ = try scoped(
            scope, """
                UPDATE access_review_items SET decision = ?4, new_role = ?5, new_channels = ?6,
                    comment = ?7, reviewer = ?8, decided_at_ms = ?9
                WHERE tenant_id = ?1 AND review_id = ?2 AND member_id = ?3
                    AND decision IS NULL
                """,
            [.integer(review), .integer(member.rawValue), .text(decision), .optional(newRole),
             .optional(newChannels), .text(comment), .text(reviewer), .integer(nowMs)])
        return changes == 1
    }

    /// Marks an open review completed; false when it was not open.
    public func completeAccessReview(
        _ scope: TenantScope, review: Int64, completedBy: String, nowMs: Int64
    ) throws -> Bool {
        _ = try scoped(
            scope, """
                UPDATE access_reviews SET status = 'completed', completed_by = ?3,
                    completed_at_ms = ?4
                WHERE tenant_id = ?1 AND id = ?2 AND status = 'open'
                """,
            [.integer(review), .text(completedBy), .integer(nowMs)])
        return changes == 1
    }
}
