import Control
import Store
import Wire

/// Admin commands for the audit log and access reviews. Exports and review reports go out
/// chunk by chunk (`next` names the export to continue), so neither side holds a whole
/// log in memory.
extension AdminServer {
    func registerAuditCommands() {
        register("audit.verify") { [unowned self] request in
            try request.allowOnly(["tenant"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            return Self.json(try control.verifyAudit(tenant: tenant))
        }
        register("audit.export") { [unowned self] request in
            try request.allowOnly(["tenant", "from", "to", "action", "actor", "continue"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let filter = try AuditFilter.parse(
                from: request.optionalString("from"), to: request.optionalString("to"),
                actions: request.optionalString("action"), actor: request.optionalString("actor"))
            let chunk = try control.auditExportChunk(
                tenant: tenant, filter: filter, actor: request.actor,
                continuing: request.optionalString("continue"))
            return [
                "csv": .string(String(decoding: chunk.csv, as: UTF8.self)),
                "next": chunk.next.map(JSONValue.string) ?? .null,
            ]
        }
        register("audit.public_key") { [unowned self] request in
            try request.allowOnly([])
            guard let key = control.auditSettings.publicKey else {
                throw AdminError.badRequest("no audit signing key is configured")
            }
            return ["pem": .string(key.pem), "key_id": .string(key.keyID)]
        }
        register("audit.checkpoint") { [unowned self] request in
            try request.allowOnly(["tenant"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let made = try control.checkpointAudit(
                tenant: tenant, now: ControlPlane.wallClockMilliseconds())
            return ["seq": made.map { .int($0.seq) } ?? .null]
        }
        registerReviewCommands()
    }

    private func registerReviewCommands() {
        register("review.start") { [unowned self] request in
            try request.allowOnly(["tenant"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            return Self.json(try control.startAccessReview(tenant: tenant, actor: request.actor))
        }
        register("review.show") { [unowned self] request in
            try request.allowOnly(["tenant", "review"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            return Self.json(try control.accessReview(tenant: tenant, id: request.int("review")))
        }
        register("review.decide") { [unowned self] request in
            try request.allowOnly(
                ["tenant", "review", "member", "decision", "comment", "role", "channels"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let member = try control.memberID(tenant: tenant, handle: request.string("member"))
            let decision = try Self.decision(
                request.string("decision"), role: request.optionalString("role"),
                channels: request.optionalString("channels"))
            let item = try control.decideAccessReview(
                tenant: tenant, review: request.int("review"), member: member,
                decision: decision, comment: request.string("comment"), actor: request.actor)
            return Self.json(item)
        }
        register("review.complete") { [unowned self] request in
            try request.allowOnly(["tenant", "review"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            return Self.json(try control.completeAccessReview(
                tenant: tenant, review: request.int("review"), actor: request.actor))
        }
        register("review.report") { [unowned self] request in
            try request.allowOnly(["tenant", "review"])
            let tenant = try control.tenantID(slug: request.string("tenant"))
            let csv = try control.accessReviewReport(
                tenant: tenant, review: request.int("review"), actor: request.actor)
            return ["csv": .string(String(decoding: csv, as: UTF8.self)), "next": .null]
        }
    }

    /// A decision from its name; `modify` takes a role and/or ";"- or ","-separated
    /// channel names (an empty string for no channels).
    public static func decision(_ name: String, role: String?, channels: String?) throws
        -> ReviewDecision
    {
        switch name {
        case "approve": return .approve
        case "revoke": return .revoke
        case "modify":
            guard role != nil || channels != nil else {
                throw AdminError.badRequest("modify needs a new role and/or channels")
            }
            let names = channels.map {
                $0.split(whereSeparator: { $0 == ";" || $0 == "," }).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }.filter { !$0.isEmpty }
            }
            return .modify(role: try role.map(Self.role), channels: names)
        default:
            throw AdminError.badRequest("decision must be approve, modify or revoke")
        }
    }

    public static func json(_ report: AuditVerificationReport) -> JSONValue {
        [
            "ok": .bool(report.ok), "tenant_id": .int(report.tenant.rawValue),
            "entries": .int(report.entries), "head_seq": .int(report.headSeq),
            "checkpoints": .int(Int64(report.checkpoints)),
            "last_checkpoint_seq": .int(report.lastCheckpointSeq),
            "problem": report.problem.map {
                ["seq": .int($0.seq), "reason": .string($0.reason)]
            } ?? .null,
        ]
    }

    public static func json(_ review: AccessReview) -> JSONValue {
        let record = review.record
        return [
            "id": .int(record.id), "status": .string(record.status),
            "started_by": .string(record.startedBy), "started_at_ms": .int(record.startedAtMs),
            "completed_at_ms": record.completedAtMs.map(JSONValue.int) ?? .null,
            "undecided": .array(review.undecided.map(JSONValue.string)),
            "items": .array(review.items.map(json)),
        ]
    }

    public static func json(_ item: AccessReviewItem) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "review_id": .int(item.reviewID), "member_id": .int(item.member.rawValue),
            "handle": .string(item.handle), "role": .string(item.role),
            "status": .string(item.status), "permissions": .string(item.permissions),
            "channels": .string(item.channels), "decision": text(item.decision),
            "new_role": text(item.newRole), "new_channels": text(item.newChannels),
            "comment": text(item.comment), "reviewer": text(item.reviewer),
            "decided_at_ms": item.decidedAtMs.map(JSONValue.int) ?? .null,
        ]
    }
}

extension AdminRequest {
    /// A required integer argument (also accepted as a decimal string).
    func int(_ name: String) throws -> Int64 {
        switch args[name] {
        case .int(let value)?: return value
        case .string(let text)?: if let value = Int64(text) { return value }
        default: break
        }
        throw AdminError.badRequest("\(command): argument \"\(name)\" must be an integer")
    }
}
