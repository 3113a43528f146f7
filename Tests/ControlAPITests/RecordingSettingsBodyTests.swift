import ControlAPI
import Crypto
import HTTPEdge
import Testing

/// The recording settings body (`PUT /api/channels/:id/recording`) is read as strictly as
/// the `/v1` bodies: exact JSON types, one object, no unknown or repeated fields.
@Suite struct RecordingSettingsBodyTests {
    private func request(_ body: String, contentType: String? = "application/json")
        -> HTTPRequest
    {
        var headers: [String: String] = [:]
        if let contentType { headers["Content-Type"] = contentType }
        return HTTPRequest(
            method: "PUT", path: "/api/channels/1/recording", headers: headers,
            body: Array(body.utf8), clientAddress: "192.0.2.10",
            requestID: Hex.encode(SecureRandom.bytes(8)))
    }

    /// The status and message a refused body gets.
    private func refusal(_ body: String, contentType: String? = "application/json")
        -> (Int, String)?
    {
        do {
            _ = try RecordingSettingsBody(request(body, contentType: contentType))
            return nil
        } catch let error as ControlAPI.APIError {
            return (error.status, error.message)
        } catch {
            return (0, "\(error)")
        }
    }

    @Test func wellTypedBodiesAreRead() throws {
        let both = try RecordingSettingsBody(request(#"{"enabled":true,"retention_days":7}"#))
        #expect(both.enabled == true && both.retention == .days(7))
        let keep = try RecordingSettingsBody(request(#"{"retention_days":"keep"}"#))
        #expect(keep.enabled == nil && keep.retention == .keep)
        let off = try RecordingSettingsBody(
            request(#"{"enabled":false}"#, contentType: "application/json; charset=utf-8"))
        #expect(off.enabled == false && off.retention == nil)
    }

    @Test func wronglyTypedFieldsAreRefusedWithAMessageNamingTheField() {
        let cases: [(String, String)] = [
            (#"{"retention_days":true}"#, "retention_days"),
            (#"{"retention_days":"30"}"#, "retention_days"),
            (#"{"retention_days":0}"#, "retention_days"),
            (#"{"retention_days":-3}"#, "retention_days"),
            (#"{"retention_days":1.5}"#, "retention_days"),
            (#"{"retention_days":null}"#, "retention_days"),
            (#"{"enabled":1}"#, "enabled"),
            (#"{"enabled":"true"}"#, "enabled"),
            (#"{"enabled":null}"#, "enabled"),
            (#"{"enabled":false,"enabled":true}"#, "more than once"),
            (#"{"retention_days":30,"retention_d\u0061ys":1}"#, "more than once"),
            (#"{"enabled":true,"owner":"x"}"#, "unknown"),
            (#"[{"enabled":true}]"#, "object"),
            (#"{"enabled":tru"#, "object"),
        ]
        for (body, word) in cases {
            let answer = refusal(body)
            #expect(answer?.0 == 400, "\(body)")
            #expect(answer?.1.contains(word) == true, "\(body): \(answer?.1 ?? "accepted")")
        }
    }

    @Test func repeatedNamesInNestedObjectsAreStillSeenOnlyPerObject() {
        // The same name in two different objects is not a repeat; the body is refused only
        // because "a" is unknown.
        let answer = refusal(#"{"enabled":true,"a":[{"k":1},{"k":2}]}"#)
        #expect(answer?.0 == 400 && answer?.1.contains("unknown") == true)
    }

    @Test func aBodyThatIsNotJSONOrTooLargeIsRefusedByStatus() {
        #expect(refusal(#"{"enabled":true}"#, contentType: "text/plain")?.0 == 415)
        #expect(refusal(#"{"enabled":true}"#, contentType: nil)?.0 == 415)
        let huge = #"{"enabled":true,"x":""# + String(repeating: "a", count: 9_000) + #""}"#
        #expect(refusal(huge)?.0 == 413)
    }
}
