extension RTCPPacket {
    /// Writes a Sender Report (RFC 3550 6.4.1) at the start of `buffer`; returns its length
    /// in bytes, or nil if the buffer is too small or there are more than 31 reports.
    /// `ntp` is seconds << 32 | fraction; counts are packets and payload octets sent.
    public static func buildSenderReport(
        into buffer: UnsafeMutableRawBufferPointer, ssrc: SSRC, ntp: UInt64, rtpTime: UInt32,
        packetCount: UInt32, octetCount: UInt32, reports: [ReportBlock] = []
    ) -> Int? {
        let length = 28 + 24 * reports.count
        guard reports.count <= 31, buffer.count >= length else { return nil }

        writeHeader(buffer, count: reports.count, type: RTCPPacketType.senderReport,
            length: length)
        put32(buffer, 4, ssrc.rawValue)
        put32(buffer, 8, UInt32(ntp >> 32))
        put32(buffer, 12, UInt32(ntp & 0xFFFF_FFFF))
        put32(buffer, 16, rtpTime)
        put32(buffer, 20, packetCount)
        put32(buffer, 24, octetCount)
        writeReports(buffer, at: 28, reports)
        return length
    }

    /// Writes a Receiver Report (RFC 3550 6.4.2); see `buildSenderReport`.
    public static func buildReceiverReport(
        into buffer: UnsafeMutableRawBufferPointer, ssrc: SSRC, reports: [ReportBlock]
    ) -> Int? {
        let length = 8 + 24 * reports.count
        guard reports.count <= 31, buffer.count >= length else { return nil }

        writeHeader(buffer, count: reports.count, type: RTCPPacketType.receiverReport,
            length: length)
        put32(buffer, 4, ssrc.rawValue)
        writeReports(buffer, at: 8, reports)
        return length
    }

    /// Writes an SDES packet with one chunk holding a CNAME (RFC 3550 6.5.1), which every
    /// compound packet needs; returns its length, or nil if too small or CNAME > 255 bytes.
    public static func buildSDESCNAME(
        into buffer: UnsafeMutableRawBufferPointer, ssrc: SSRC, cname: String
    ) -> Int? {
        let nameLength = cname.utf8.count
        let length = (4 + 4 + 2 + nameLength + 1 + 3) / 4 * 4
        guard nameLength <= 255, buffer.count >= length else { return nil }

        writeHeader(buffer, count: 1, type: RTCPPacketType.sdes, length: length)
        put32(buffer, 4, ssrc.rawValue)
        buffer[8] = 1
        buffer[9] = UInt8(nameLength)
        var at = 10
        for byte in cname.utf8 {
            buffer[at] = byte
            at += 1
        }
        while at < length {
            buffer[at] = 0
            at += 1
        }
        return length
    }

    private static func writeHeader(
        _ buffer: UnsafeMutableRawBufferPointer, count: Int, type: UInt8, length: Int
    ) {
        buffer[0] = 0x80 | UInt8(count)
        buffer[1] = type
        put16(buffer, 2, UInt16(length / 4 - 1))
    }

    private static func writeReports(
        _ buffer: UnsafeMutableRawBufferPointer, at start: Int, _ reports: [ReportBlock]
    ) {
        var at = start
        for report in reports {
            // Clamp to what 24 signed bits hold (RFC 3550 6.4.1).
            let clamped = min(max(report.cumulativeLost, -0x80_0000), 0x7F_FFFF)
            let lost = UInt32(bitPattern: clamped) & 0x00FF_FFFF
            put32(buffer, at, report.ssrc.rawValue)
            put32(buffer, at + 4, UInt32(report.fractionLost) << 24 | lost)
            put32(buffer, at + 8, report.highestSequence)
            put32(buffer, at + 12, report.jitter)
            put32(buffer, at + 16, report.lastSR)
            put32(buffer, at + 20, report.delaySinceLastSR)
            at += 24
        }
    }
}
