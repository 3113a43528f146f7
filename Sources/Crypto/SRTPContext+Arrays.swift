/// Array conveniences for tests and control paths; the relay's hot path uses the
/// in-place pointer methods, which allocate nothing.
extension SRTPContext {
    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try transform(packet, extra: rtpOverhead) { buffer, length, capacity throws(SRTPError) in
            try protectRTP(buffer, length: length, capacity: capacity)
        }
    }

    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try transform(packet, extra: 0) { buffer, length, capacity throws(SRTPError) in
            try unprotectRTP(buffer, length: length, capacity: capacity)
        }
    }

    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try transform(packet, extra: rtcpOverhead) { buffer, length, capacity throws(SRTPError) in
            try protectRTCP(buffer, length: length, capacity: capacity)
        }
    }

    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try transform(packet, extra: 0) { buffer, length, capacity throws(SRTPError) in
            try unprotectRTCP(buffer, length: length, capacity: capacity)
        }
    }

    private func transform(
        _ packet: [UInt8], extra: Int,
        _ body: (UnsafeMutableRawPointer, Int, Int) throws(SRTPError) -> Int
    ) throws(SRTPError) -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: extra)
        let capacity = buffer.count
        let result: Result<Int, SRTPError> = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return .failure(.badParam) }
            do throws(SRTPError) {
                return .success(try body(base, packet.count, capacity))
            } catch {
                return .failure(error)
            }
        }
        let length = try result.get()
        return Array(buffer[0..<length])
    }
}
