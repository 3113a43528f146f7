import CMicroHTTPD

/// Turns an `HTTPResponse` into a libmicrohttpd response and queues it on a connection.
enum ResponseWriter {
    /// Queues `response` with the server's standard headers. A response libmicrohttpd
    /// rejects (status out of range, header with CR/LF) is replaced by a 500 error.
    static func send(
        _ response: HTTPResponse, _ state: RequestState, _ connection: OpaquePointer
    ) -> MHD_Result {
        var response = response
        if !(100...599).contains(response.status) {
            response = .error(500, "internal error")
        }

        if let queued = queue(response, state.requestID, connection) { return queued }
        let fallback = HTTPResponse.error(500, "internal error")
        return queue(fallback, state.requestID, connection) ?? .NO
    }

    /// Nil if the response could not be built; otherwise the result of queueing it.
    private static func queue(
        _ response: HTTPResponse, _ requestID: String, _ connection: OpaquePointer
    ) -> MHD_Result? {
        let body = response.body
        let created = body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                .RESPMEM_MUST_COPY)
        }
        guard let created else { return nil }
        defer { MHD_destroy_response(created) }

        let headers = SecurityHeaders.merged(response.headers, requestID: requestID)
        for (name, value) in headers {
            guard MHD_add_response_header(created, name, value) == .YES else { return nil }
        }
        return MHD_queue_response(connection, UInt32(response.status), created)
    }
}
