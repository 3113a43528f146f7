import Store
import Wire

/// A reviewer's decision on one member's access.
public enum ReviewDecision: Sendable, Equatable {
    case approve
    /// A new role and/or a new set of channels (by name); nil leaves that part as it is.
    case modify(role: MemberRole?, channels: [String]?)
    /// The member is removed: sessions, assignments and live media end at once.
    case revoke

    public var name: String {
        switch self {
        case .approve: return "approve"
        case .modify: return "modify"
        case .revoke: return "revoke"
        }
    }
}

/// An access review with its items.
public struct AccessReview: Sendable, Equatable {
    public let record: AccessReviewRecord
    public let items: [AccessReviewItem]

    /// Members still waiting for a decision, by handle.
    public var undecided: [String] { items.filter { $0.decision == nil }.map(\.handle) }
}

/// Access reviews: an admin starts a cycle that snapshots every member's role,
/// permissions and channels; reviewers decide approve, modify or revoke for each member
/// with a comment (modify and revoke take effect at once, live media included); nobody
/// decides on their own access; the cycle completes only when every member has a decision.
extension ControlPlane {
    public func startAccessReview(_ caller: Caller) throws -> AccessReview {
        try caller.require(.manageRoles)
        return try startAccessReview(tenant: caller.tenant, actor: caller.actor)
    }

    /// Starts a review of every member of `tenant` who is not removed.
    public func startAccessReview(tenant: TenantID, actor: Actor) throws -> AccessReview {
        let scope = TenantScope(tenant)
        let now = clock()
        let id = try store.write { transaction -> Int64 in
            guard try transaction.tenant(id: tenant) != nil else {
                throw ControlError.notFound("tenant not found")
            }
            let channelNames = Dictionary(
                uniqueKeysWithValues: try transaction.channels(scope).map { ($0.id, $0.name) })
            let review = try transaction.insertAccessReview(
                scope, startedBy: actor.description, nowMs: now)
            var count = 0
            for member in try transaction.members(scope) where member.status != .removed {
                let channels = try transaction.assignedChannels(scope, member: member.id)
                    .compactMap { channelNames[$0] }.sorted()
                try transaction.insertAccessReviewItem(scope, AccessReviewItem(
                    reviewID: review, member: member.id, handle: member.handle,
                    role: member.role.rawValue, status: member.status.rawValue,
                    permissions: member.role.permissions.map(\.rawValue).sorted()
                        .joined(separator: ";"),
                    channels: channels.joined(separator: ";")))
                count += 1
            }
            try audit(
                transaction, scope, actor, .reviewStart, target: "review:\(review)", at: now,
                metadata: ["members": count])
            return review
        }
        return try accessReview(tenant: tenant, id: id)
    }

    public func accessReview(_ caller: Caller, id: Int64) throws -> AccessReview {
        try caller.require(.readAudit)
        return try accessReview(tenant: caller.tenant, id: id)
    }

    public func accessReview(tenant: TenantID, id: Int64) throws -> AccessReview {
        let scope = TenantScope(tenant)
        return try store.read { transaction in
            guard let record = try transaction.accessReview(scope, id: id) else {
                throw ControlError.notFound("review \(id) not found")
            }
            return AccessReview(
                record: record, items: try transaction.accessReviewItems(scope, review: id))
        }
    }

    public func decideAccessReview(
        _ caller: Caller, review: Int64, member: MemberID, decision: ReviewDecision,
        comment: String
    ) throws -> AccessReviewItem {
        try caller.require(.manageRoles)
        return try decideAccessReview(
            tenant: caller.tenant, review: review, member: member, decision: decision,
            comment: comment, actor: caller.actor, actorRole: caller.role)
    }

    /// Records a decision and applies it in the same transaction. `actorRole` is the
    /// deciding member's role (nil for the admin socket): only an owner changes an owner.
    public func decideAccessReview(
        tenant: TenantID, review: Int64, member: MemberID, decision: ReviewDecision,
        comment: String, actor: Actor, actorRole: MemberRole? = nil
    ) throws -> AccessReviewItem {
        let comment = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !comment.isEmpty, comment.utf8.count <= 2_000 else {
            throw ControlError.badRequest("a decision needs a comment of 1 to 2000 bytes")
        }
        if case .member(_, let reviewer) = actor.kind, reviewer == member {
            throw ControlError.forbidden("you cannot decide on your own access")
        }
        let scope = TenantScope(tenant)
        let now = clock()

        try store.write { transaction in
            guard let record = try transaction.accessReview(scope, id: review) else {
                throw ControlError.notFound("review \(review) not found")
            }
            guard record.status == "open" else {
                throw ControlError.conflict("review \(review) is already completed")
            }
            guard let target = try transaction.member(scope, id: member),
                try transaction.accessReviewItems(scope, review: review)
                    .contains(where: { $0.member == member && $0.decision == nil })
            else {
                throw ControlError.conflict(
                    "member \(member.rawValue) has no open item in review \(review)")
            }
            var grantsOwner = false
            if case .modify(.owner?, _) = decision { grantsOwner = true }
            if let actorRole, actorRole != .owner, target.role == .owner || grantsOwner {
                throw ControlError.forbidden("only an owner may change an owner's access")
            }

            var newRole: String?
            var newChannels: String?
            switch decision {
            case .approve:
                break
            case .modify(let role, let channels):
                if let role {
                    newRole = try applyRole(transaction, scope, target, role, actor, now)
                }
                if let channels {
                    newChannels = try applyChannels(
                        transaction, scope, target, channels, actor, now)
                }
            case .revoke:
                try applyRevoke(transaction, scope, target, actor, now)
            }
            guard try transaction.decideAccessReviewItem(
                scope, review: review, member: member, decision: decision.name,
                newRole: newRole, newChannels: newChannels, comment: comment,
                reviewer: actor.description, nowMs: now)
            else { throw ControlError.conflict("member \(member.rawValue) was already decided") }
            var metadata: [String: Any] = [
                "review": review, "decision": decision.name, "comment": comment,
                "handle": target.handle,
            ]
            if let newRole { metadata["role"] = newRole }
            if let newChannels { metadata["channels"] = newChannels }
            try audit(
                transaction, scope, actor, .reviewDecide, target: "member:\(member.rawValue)",
                at: now, metadata: metadata)
        }
        guard let item = try accessReview(tenant: tenant, id: review).items
            .first(where: { $0.member == member })
        else { throw ControlError.notFound("member \(member.rawValue) not found") }
        return item
    }

    public func completeAccessReview(_ caller: Caller, review: Int64) throws -> AccessReview {
        try caller.require(.manageRoles)
        return try completeAccessReview(tenant: caller.tenant, review: review, actor: caller.actor)
    }

    /// Completes a review once every member has a decision (`.conflict` naming who is
    /// still undecided otherwise); the completion is audited.
    public func completeAccessReview(tenant: TenantID, review: Int64, actor: Actor) throws
        -> AccessReview
    {
        let scope = TenantScope(tenant)
        let now = clock()
        try store.write { transaction in
            guard try transaction.accessReview(scope, id: review) != nil else {
                throw ControlError.notFound("review \(review) not found")
            }
            let items = try transaction.accessReviewItems(scope, review: review)
            let undecided = items.filter { $0.decision == nil }.map(\.handle)
            guard undecided.isEmpty else {
                throw ControlError.conflict(
                    "review \(review) still needs a decision for: "
                        + undecided.joined(separator: ", "))
            }
            guard try transaction.completeAccessReview(
                scope, review: review, completedBy: actor.description, nowMs: now)
            else { throw ControlError.conflict("review \(review) is already completed") }
            var counts: [String: Int] = ["approve": 0, "modify": 0, "revoke": 0]
            for item in items { counts[item.decision ?? "", default: 0] += 1 }
            try audit(
                transaction, scope, actor, .reviewComplete, target: "review:\(review)", at: now,
                metadata: ["members": items.count, "approved": counts["approve"] ?? 0,
                           "modified": counts["modify"] ?? 0, "revoked": counts["revoke"] ?? 0])
        }
        return try accessReview(tenant: tenant, id: review)
    }
}
