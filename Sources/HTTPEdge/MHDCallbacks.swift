import CMicroHTTPD
import Foundation

/// The C entry points handed to libmicrohttpd. None captures context: each finds its Swift
/// object through the `cls` / `con_cls` pointers. They run on libmicrohttpd's threads.
enum MHDCallbacks {
    /// Called several times per request: once after the headers (creates the
    /// `RequestState`), once per chunk of body, and once when the body is complete (runs
    /// the handler and queues its response).
    static let access: MHD_AccessHandlerCallback = {
        cls, connection, url, method, _, uploadData, uploadSize, slot in
        guard let cls, let connection, let uploadSize, let slot else { return .NO }
        let context = Unmanaged<CallbackContext>.fromOpaque(cls).takeUnretainedValue()

        guard let existing = slot.pointee else {
            context.activity.requestStarted(connection, now: ConnectionActivity.now())
            let state = RequestState(requestID: RequestState.makeRequestID())
            slot.pointee = Unmanaged.passRetained(state).toOpaque()
            let refusal: HTTPResponse
            let readBodyFirst: Bool
            if let problem = FramingProblem.check(headerFields(connection)) {
                var closing = HTTPResponse.error(problem.status, problem.message)
                closing.headers.append(("Connection", "close"))
                refusal = closing
                readBodyFirst = problem.readBodyFirst
            } else if declaredLength(connection, exceeds: context.maxBodyBytes) {
                refusal = tooLargeResponse(context)
                readBodyFirst = true
            } else {
                return .YES
            }
            // A refused request is answered at once only when its body cannot be framed
            // safely, when the client waits for "100 Continue" (it then never sends the
            // body), or when reading the body to the end would cost too much. Otherwise
            // the body is read and dropped and the answer goes out after it: a client
            // still sending when the server closes gets a reset, which can destroy the
            // answer before the client reads it.
            if !readBodyFirst || expectsContinue(connection)
                || declaredLength(connection, exceeds: RequestState.discardAllowance)
            {
                return ResponseWriter.send(refusal, state, connection)
            }
            state.refusal = refusal
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()

        let count = uploadSize.pointee
        if count > 0 {
            uploadSize.pointee = 0
            // The body's deadline is kept by the server's sweeper (`ConnectionActivity`).
            // Past the discard allowance (only a chunked body gets there: a longer announced
            // one is answered at once) the connection is closed without an answer:
            // libmicrohttpd 0.9.75 refuses a response queued in the middle of a body.
            let keep = state.receive(uploadData, count: count, limit: context.maxBodyBytes)
            return keep ? .YES : .NO
        }
        context.activity.bodyReceived(connection)
        if let refusal = state.refusal {
            return ResponseWriter.send(refusal, state, connection)
        }
        if state.tooLarge {
            return ResponseWriter.send(tooLargeResponse(context), state, connection)
        }

        let request = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "",
            path: url.map { String(cString: $0) } ?? "/",
            query: collect(connection, .GET_ARGUMENT_KIND, lowerCaseKeys: false),
            headers: collect(connection, .HEADER_KIND, lowerCaseKeys: true),
            body: state.body,
            clientAddress: whoot_mhd_client_address(connection)
                .map(SocketAddressText.host(of:)) ?? "",
            requestID: state.requestID)
        state.body = []
        return ResponseWriter.send(context.handler(request), state, connection)
    }

    /// Releases the `RequestState` of a finished (or aborted) request; the connection's
    /// next request must then arrive within the timeout.
    static let completed: MHD_RequestCompletedCallback = { cls, connection, slot, _ in
        if let cls, let connection {
            let context = Unmanaged<CallbackContext>.fromOpaque(cls).takeUnretainedValue()
            context.activity.requestFinished(connection, now: ConnectionActivity.now())
        }
        guard let slot, let state = slot.pointee else { return }
        Unmanaged<RequestState>.fromOpaque(state).release()
        slot.pointee = nil
    }

    /// Tracks each connection's activity; a connection closed after being idle for the
    /// whole timeout counts as a timeout.
    static let connection: MHD_NotifyConnectionCallback = { cls, connection, _, code in
        guard let cls, let connection else { return }
        let context = Unmanaged<CallbackContext>.fromOpaque(cls).takeUnretainedValue()
        let now = ConnectionActivity.now()
        // 0 is MHD_CONNECTION_NOTIFY_STARTED, which Swift does not import by name.
        if code.rawValue == 0 {
            let open = context.activity.opened(
                connection, socket: whoot_mhd_connection_socket(connection), now: now)
            if context.maxConnections > 0, open == context.maxConnections {
                context.limitCounters.connectionLimitHits.add(1, ordering: .relaxed)
            }
            return
        }
        let (idle, cut) = context.activity.closed(connection, now: now)
        let timeout = context.connectionTimeoutSeconds
        if cut || timeout > 0 && idle >= Double(timeout) - 0.5 {
            context.limitCounters.connectionTimeouts.add(1, ordering: .relaxed)
        }
    }

    /// Formats a libmicrohttpd diagnostic and passes it to the server's context.
    static let log: MHD_LogCallback = { cls, format, arguments in
        guard let cls, let format, let arguments else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        _ = vsnprintf(&buffer, buffer.count, format, arguments)
        let message = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
        Unmanaged<CallbackContext>.fromOpaque(cls).takeUnretainedValue().record(message)
    }

    /// Adds one key/value pair to the `ValueCollector` passed as `cls`.
    private static let collectOne: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return .YES }
        let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
        collector.add(String(cString: key), value.map { String(cString: $0) } ?? "")
        return .YES
    }

    private static func collect(
        _ connection: OpaquePointer, _ kind: MHD_ValueKind, lowerCaseKeys: Bool
    ) -> [String: String] {
        let collector = ValueCollector(lowerCaseKeys: lowerCaseKeys)
        withExtendedLifetime(collector) {
            let cls = Unmanaged.passUnretained(collector).toOpaque()
            _ = MHD_get_connection_values(connection, kind, collectOne, cls)
        }
        return collector.values
    }

    /// True if the request announces a `Content-Length` above `limit` bytes.
    private static func declaredLength(_ connection: OpaquePointer, exceeds limit: Int) -> Bool {
        guard let raw = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length")
        else { return false }
        let text = String(cString: raw).trimmingCharacters(in: .whitespaces)
        if let length = UInt64(text) { return length > UInt64(limit) }
        return !text.isEmpty && text.allSatisfy(\.isNumber)
    }

    /// The request's header fields in the order they came, names as sent.
    private static func headerFields(
        _ connection: OpaquePointer
    ) -> [(name: String, value: String)] {
        let collector = ValueCollector(lowerCaseKeys: false)
        withExtendedLifetime(collector) {
            let cls = Unmanaged.passUnretained(collector).toOpaque()
            _ = MHD_get_connection_values(connection, .HEADER_KIND, collectOne, cls)
        }
        return collector.fields
    }

    /// True if the client sent `Expect: 100-continue` and waits before sending its body.
    private static func expectsContinue(_ connection: OpaquePointer) -> Bool {
        guard let raw = MHD_lookup_connection_value(connection, .HEADER_KIND, "Expect")
        else { return false }
        return String(cString: raw).trimmingCharacters(in: .whitespaces)
            .lowercased() == "100-continue"
    }

    private static func tooLargeResponse(_ context: CallbackContext) -> HTTPResponse {
        context.limitCounters.bodiesTooLarge.add(1, ordering: .relaxed)
        return .error(413, "request body exceeds \(context.maxBodyBytes) bytes")
    }
}

/// Gathers the pairs `MHD_get_connection_values` reports.
private final class ValueCollector {
    let lowerCaseKeys: Bool
    var values: [String: String] = [:]
    /// Every pair in the order reported, names unchanged.
    var fields: [(name: String, value: String)] = []

    init(lowerCaseKeys: Bool) {
        self.lowerCaseKeys = lowerCaseKeys
    }

    /// Headers repeat by joining with ", "; query arguments repeat by replacing.
    func add(_ key: String, _ value: String) {
        fields.append((key, value))
        guard lowerCaseKeys else {
            values[key] = value
            return
        }
        let name = key.lowercased()
        values[name] = values[name].map { $0 + ", " + value } ?? value
    }
}
