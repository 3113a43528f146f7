import Foundation

/// Writes the APIBody seeds into `directory`: one valid request per `/v1` route with a
/// body, for the session allowed to make it (ids as a fresh workspace numbers them: channel
/// 1 "lobby", members 1 owner, 2 member, 3 auditor), and a few refused ones (unknown
/// field, wrong type, not an object, bad UTF-8, wrong media type). Returns the exit status.
func writeSeeds(to directory: String) -> Int32 {
    let json = "application/json"
    let owner: UInt8 = 1, member: UInt8 = 2, auditor: UInt8 = 3
    let requests: [(String, UInt8, String, String, String, [UInt8])] = [
        ("login", 0, "POST", "/v1/login", json,
         bytes(#"{"tenant":"acme","handle":"member","password":"correct horse member"}"#)),
        ("login-mfa", 0, "POST", "/v1/login/mfa", json,
         bytes(#"{"challenge":"abc","code":"123456"}"#)),
        ("accept", 0, "POST", "/v1/invitations/accept", json,
         bytes(#"{"token":"abcdef","password":"a long enough password"}"#)),
        ("logout", member, "POST", "/v1/logout", json, []),
        ("me", member, "GET", "/v1/me", "", []),
        ("audit", auditor, "GET", "/v1/audit?after=2", "", []),
        ("channel-create", owner, "POST", "/v1/channels", json, bytes(#"{"name":"ops"}"#)),
        ("channel-rename", owner, "PATCH", "/v1/channels/1", "application/json; charset=utf-8",
         bytes(#"{"name":"l\u00f6bby \ud83d\ude00"}"#)),
        ("channel-delete", owner, "DELETE", "/v1/channels/1", "", []),
        ("assign", owner, "PUT", "/v1/channels/1/members/3", json, bytes("{}")),
        ("unassign", owner, "DELETE", "/v1/channels/1/members/2", "", []),
        ("join-token", member, "POST", "/v1/channels/1/join-token", "", []),
        ("members", owner, "GET", "/v1/members", "", []),
        ("invite", owner, "POST", "/v1/members", json,
         bytes(#"{"handle":"sam","email":"sam@acme.example","role":"admin"}"#)),
        ("invite-null-email", owner, "POST", "/v1/members", json,
         bytes(#"{"handle":"kim","email":null}"#)),
        ("remove", owner, "DELETE", "/v1/members/2", "", []),
        ("role", owner, "PUT", "/v1/members/3/role", json, bytes(#"{"role":"auditor"}"#)),
        ("mfa-status", member, "GET", "/v1/mfa", "", []),
        ("mfa-enroll", member, "POST", "/v1/mfa/enroll", json,
         bytes(#"{"algorithm":"SHA256"}"#)),
        ("mfa-confirm", member, "POST", "/v1/mfa/confirm", json, bytes(#"{"code":"000000"}"#)),
        ("mfa-policy", owner, "PUT", "/v1/mfa/policy", json, bytes(#"{"policy":"required"}"#)),
        ("mfa-reset", owner, "DELETE", "/v1/members/2/mfa", "", []),
        ("bad-unknown-field", owner, "POST", "/v1/channels", json,
         bytes(#"{"name":"x","extra":1}"#)),
        ("bad-type", owner, "POST", "/v1/channels", json, bytes(#"{"name":7}"#)),
        ("bad-array", owner, "POST", "/v1/members", json, bytes(#"[{"handle":"a"}]"#)),
        ("bad-utf8", owner, "POST", "/v1/channels", json, bytes(#"{"name":""#) + [0xC3, 0x28]
            + bytes(#""}"#)),
        ("bad-media", owner, "POST", "/v1/channels", "text/plain", bytes(#"{"name":"x"}"#)),
        ("bad-duplicate", owner, "POST", "/v1/channels", json,
         bytes(#"{"name":"a","name":"b"}"#)),
        ("bad-big-int", owner, "GET", "/v1/audit?after=99999999999999999999", "", []),
    ]
    do {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        for (name, session, method, path, contentType, body) in requests {
            var input = [session]
            for piece in [method, path, contentType] {
                let utf8 = Array(piece.utf8)
                input += [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xff)] + utf8
            }
            input += body
            try Data(input).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    } catch {
        print("cannot write seeds to \(directory): \(error)")
        return 1
    }
    print("wrote \(requests.count) seeds to \(directory)")
    return 0
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
