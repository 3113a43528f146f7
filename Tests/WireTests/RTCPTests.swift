import Testing
import Wire

@Suite struct RTCPTests {
    static let block = ReportBlock(
        ssrc: SSRC(0x1111_2222), fractionLost: 26, cumulativeLost: -3,
        highestSequence: 0x0001_FFF0, jitter: 120, lastSR: 0xAABB_CCDD,
        delaySinceLastSR: 65536)

    static func build(_ body: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1500)
        let length = buffer.withUnsafeMutableBytes(body) ?? 0
        return Array(buffer.prefix(length))
    }

    static func parse(_ bytes: [UInt8]) -> (packets: [RTCPPacket], malformed: Int) {
        bytes.withUnsafeBytes { RTCPPacket.parseCompound($0) }
    }

    static let receiverReport = build {
        RTCPPacket.buildReceiverReport(into: $0, ssrc: SSRC(7), reports: [block])
    }

    @Test func builtReportsParseBack() {
        let sr = Self.build {
            RTCPPacket.buildSenderReport(
                into: $0, ssrc: SSRC(9), ntp: 0xE000_0000_8000_0000, rtpTime: 48000,
                packetCount: 50, octetCount: 4000, reports: [Self.block])
        }
        let sdes = Self.build { RTCPPacket.buildSDESCNAME(into: $0, ssrc: SSRC(9), cname: "whoot") }
        let result = Self.parse(sr + sdes + Self.receiverReport)

        #expect(result.malformed == 0)
        #expect(result.packets == [
            .senderReport(ssrc: SSRC(9), ntp: 0xE000_0000_8000_0000, rtpTime: 48000,
                packetCount: 50, octetCount: 4000, reports: [Self.block]),
            .sdes([SDESChunk(ssrc: SSRC(9), items: [SDESItem(type: 1,
                value: Array("whoot".utf8))])]),
            .receiverReport(ssrc: SSRC(7), reports: [Self.block]),
        ])
        #expect(result.packets.first?.isReport == true)
    }

    @Test func sdesOverrunningTheDatagramIsDroppedAndTheReportKept() {
        // SDES header claims 5 words of body; only 2 are present.
        let sdes: [UInt8] = [0x81, 202, 0x00, 0x05, 0, 0, 0, 7, 1, 2, 0x61, 0x62]
        let result = Self.parse(Self.receiverReport + sdes)

        #expect(result.packets == [.receiverReport(ssrc: SSRC(7), reports: [Self.block])])
        #expect(result.malformed == 1)
    }

    @Test func xrBlockWithTooManyItemsIsDiscarded() {
        // XR: RRT block (type 4, 2 words), then a DLRR block (type 5) claiming 3 sub-blocks
        // (9 words) though the packet holds one (3 words).
        let rrt: [UInt8] = [4, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]
        let dlrr: [UInt8] = [5, 0, 0, 9] + Array(repeating: 0xAB, count: 12)
        let body: [UInt8] = [0, 0, 0, 7] + rrt + dlrr
        let xr: [UInt8] = [0x80, 207, 0, UInt8(body.count / 4)] + body
        let result = Self.parse(Self.receiverReport + xr + Self.receiverReport)

        #expect(result.packets.count == 3)
        #expect(result.packets[1] == .xr(ssrc: SSRC(7), blocks: [
            XRBlock(blockType: 4, typeSpecific: 0, contents: [1, 2, 3, 4, 5, 6, 7, 8]),
        ]))
        #expect(result.malformed == 1)
    }

    @Test func senderReportWithProfileExtensionIsAccepted() {
        var sr = Self.build {
            RTCPPacket.buildSenderReport(
                into: $0, ssrc: SSRC(3), ntp: 1, rtpTime: 2, packetCount: 3, octetCount: 4)
        }
        sr += [1, 2, 3, 4, 5, 6, 7, 8]
        sr[3] += 2
        let result = Self.parse(sr)

        #expect(result.malformed == 0)
        #expect(result.packets == [.senderReport(
            ssrc: SSRC(3), ntp: 1, rtpTime: 2, packetCount: 3, octetCount: 4, reports: [])])
    }

    @Test func reportCountBeyondLengthDropsOnlyThatPacket() {
        var rr = Self.receiverReport
        rr[0] = 0x82
        let result = Self.parse(rr + Self.receiverReport)

        #expect(result.packets.count == 1)
        #expect(result.malformed == 1)
    }

    @Test func feedbackByeAndAppAreDecoded() {
        let nack: [UInt8] = [0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0, 0]
        let bye: [UInt8] = [0x81, 203, 0, 3, 0, 0, 0, 5, 4, 0x64, 0x6F, 0x6E, 0x65, 0, 0, 0]
        let app: [UInt8] = [0x83, 204, 0, 3, 0, 0, 0, 5, 0x77, 0x68, 0x6F, 0x6F, 9, 9, 9, 9]
        let result = Self.parse(Self.receiverReport + nack + bye + app)

        #expect(result.malformed == 0)
        #expect(result.packets[1] == .feedback(
            packetType: 205, format: 1, senderSSRC: SSRC(1), mediaSSRC: SSRC(2),
            fci: [0x12, 0x34, 0, 0]))
        #expect(result.packets[2] == .bye(ssrcs: [SSRC(5)], reason: "done"))
        #expect(result.packets[3] == .app(
            subtype: 3, ssrc: SSRC(5), name: Array("whoo".utf8), data: [9, 9, 9, 9]))
    }

    @Test func builderRefusesSmallBuffers() {
        var buffer = [UInt8](repeating: 0, count: 27)
        let length = buffer.withUnsafeMutableBytes {
            RTCPPacket.buildSenderReport(
                into: $0, ssrc: SSRC(1), ntp: 0, rtpTime: 0, packetCount: 0, octetCount: 0)
        }
        #expect(length == nil)
    }

    @Test func randomBytesNeverCrash() {
        var random = SeededGenerator(state: 0x2C_7C)
        var parsed = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 0...96, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if count >= 4 {
                bytes[0] = 0x80 | (bytes[0] & 0x3F)
                bytes[1] = UInt8.random(in: 200...207, using: &random)
                bytes[2] = 0
                bytes[3] = UInt8.random(in: 0...UInt8(count / 4), using: &random)
            }
            let result = Self.parse(bytes)
            parsed += result.packets.count
            // Every packet kept consumed at least one 32-bit word.
            #expect(result.packets.count <= count / 4)
        }
        #expect(parsed > 100)
    }
}
