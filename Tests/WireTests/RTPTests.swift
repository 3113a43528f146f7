import Testing
import Wire

@Suite struct RTPTests {
    /// Fixed header: PT 111, seq 0x1234, ts 0x01020304, SSRC 0x0A0B0C0D; X bit as given.
    static func header(extensionBit: Bool) -> [UInt8] {
        [extensionBit ? 0x90 : 0x80, 111, 0x12, 0x34, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D]
    }

    @Test func audioLevelIsReadFromTheTwoByteProfile() throws {
        // Profile 0x1000, one word: element id 1, length 1, value 0x85, one padding byte.
        let packet = Self.header(extensionBit: true) + [0x10, 0x00, 0x00, 0x01]
            + [0x01, 0x01, 0x85, 0x00] + [0xAA, 0xBB]
        try packet.withUnsafeBytes { p in
            let view = try #require(RTPHeaderView.parse(p))
            #expect(view.extensionProfile == 0x1000)
            #expect(view.headerLength == 20)
            #expect(view.payloadLength == 2)
            let level = try #require(view.audioLevel(id: 1, in: p))
            #expect(level.voice)
            #expect(level.level == 5)
            #expect(view.extensionElement(id: 2, in: p) == nil)
        }
    }

    @Test func audioLevelIsReadFromTheOneByteProfile() throws {
        // 0xBEDE, two words: id 3 (mid "ab"), id 1 level 0x85, padding.
        let packet = Self.header(extensionBit: true) + [0xBE, 0xDE, 0x00, 0x02]
            + [0x31, 0x61, 0x62, 0x10, 0x85, 0x00, 0x00, 0x00] + [0x01]
        try packet.withUnsafeBytes { p in
            let view = try #require(RTPHeaderView.parse(p))
            let level = try #require(view.audioLevel(id: 1, in: p))
            #expect(level.voice)
            #expect(level.level == 5)
            let mid = try #require(view.extensionElement(id: 3, in: p))
            #expect(Array(p[mid.offset..<(mid.offset + mid.length)]) == Array("ab".utf8))
        }
    }

    @Test func fixedFieldsAndPaddingAreRead() throws {
        var packet = Self.header(extensionBit: false) + [0xCC, 0xDD, 0xEE] + [0, 0, 3]
        packet[0] |= 0x20
        packet[1] |= 0x80
        try packet.withUnsafeBytes { p in
            let view = try #require(RTPHeaderView.parse(p))
            #expect(view.marker && view.padding)
            #expect(view.payloadType == PayloadType(111))
            #expect(view.sequence == 0x1234)
            #expect(view.timestamp == 0x0102_0304)
            #expect(view.ssrc == SSRC(0x0A0B_0C0D))
            #expect(view.payloadLength == 3)
            #expect(view.extensionProfile == nil)
        }
    }

    @Test func invalidPacketsAreRefused() {
        let valid = Self.header(extensionBit: true) + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0x85, 0, 0]
        var cases: [[UInt8]] = (0..<valid.count).map { Array(valid.prefix($0)) }
        var version1 = valid
        version1[0] = 0x50
        var csrcOverrun = Self.header(extensionBit: false)
        csrcOverrun[0] |= 0x03
        var extensionOverrun = valid
        extensionOverrun[15] = 9
        var paddingOverrun = Self.header(extensionBit: false) + [1, 40]
        paddingOverrun[0] |= 0x20
        var zeroPadding = Self.header(extensionBit: false) + [1, 0]
        zeroPadding[0] |= 0x20
        cases += [version1, csrcOverrun, extensionOverrun, paddingOverrun, zeroPadding]

        for packet in cases {
            #expect(packet.withUnsafeBytes { RTPHeaderView.parse($0) } == nil)
        }
    }

    @Test func malformedExtensionBlocksYieldNoElement() throws {
        // One-byte element claiming 4 bytes in a 4-byte block; two-byte length overrun.
        let oneByte = Self.header(extensionBit: true) + [0xBE, 0xDE, 0, 1, 0x13, 1, 2, 3]
        let twoByte = Self.header(extensionBit: true) + [0x10, 0x00, 0, 1, 0x01, 0x09, 1, 2]
        for packet in [oneByte, twoByte] {
            try packet.withUnsafeBytes { p in
                let view = try #require(RTPHeaderView.parse(p))
                #expect(view.extensionElement(id: 1, in: p) == nil)
            }
        }
    }

    @Test func writtenHeadersParseBack() throws {
        let writer = RTPHeaderWriter(
            payloadType: PayloadType(96), marker: true, sequence: 65535, timestamp: 960,
            ssrc: SSRC(0xDEAD_BEEF), mid: (4, "audio0"), audioLevel: (1, false, 127))
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let written = buffer.withUnsafeMutableBytes { writer.write(into: $0) }
        #expect(written == writer.length)
        #expect(written == 12 + 4 + 12)

        try buffer.withUnsafeBytes { p in
            let packet = UnsafeRawBufferPointer(rebasing: p[0..<40])
            let view = try #require(RTPHeaderView.parse(packet))
            #expect(view.headerLength == written)
            #expect(view.payloadLength == 40 - 28)
            #expect(view.marker && view.sequence == 65535 && view.timestamp == 960)
            #expect(view.ssrc == SSRC(0xDEAD_BEEF) && view.payloadType == PayloadType(96))
            let level = try #require(view.audioLevel(id: 1, in: p))
            #expect(!level.voice && level.level == 127)
            let mid = try #require(view.extensionElement(id: 4, in: p))
            #expect(Array(p[mid.offset..<(mid.offset + mid.length)]) == Array("audio0".utf8))
        }
    }

    @Test func writerRefusesBadInput() {
        var small = [UInt8](repeating: 0, count: 11)
        var big = [UInt8](repeating: 0, count: 64)
        let plain = RTPHeaderWriter(
            payloadType: PayloadType(111), sequence: 1, timestamp: 1, ssrc: SSRC(1))
        var badID = plain
        badID.audioLevel = (15, true, 1)
        var longMid = plain
        longMid.mid = (2, String(repeating: "m", count: 17))

        #expect(small.withUnsafeMutableBytes { plain.write(into: $0) } == nil)
        #expect(big.withUnsafeMutableBytes { plain.write(into: $0) } == 12)
        #expect(big.withUnsafeMutableBytes { badID.write(into: $0) } == nil)
        #expect(big.withUnsafeMutableBytes { longMid.write(into: $0) } == nil)
    }

    @Test func randomBytesNeverCrash() {
        var random = SeededGenerator(state: 0x12_7B)
        var parsed = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 0...48, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if count > 0 { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            bytes.withUnsafeBytes { p in
                guard let view = RTPHeaderView.parse(p) else { return }
                parsed += 1
                #expect(view.headerLength + view.payloadLength <= p.count)
                for id in UInt8(0)...UInt8(20) {
                    if let element = view.extensionElement(id: id, in: p) {
                        #expect(element.offset + element.length <= p.count)
                    }
                    _ = view.audioLevel(id: id, in: p)
                }
            }
        }
        #expect(parsed > 100)
    }

    @Test func packetsAreClassifiedByFirstByte() {
        #expect(PacketClass.classify(firstByte: 0) == .stun)
        #expect(PacketClass.classify(firstByte: 3) == .stun)
        #expect(PacketClass.classify(firstByte: 4) == .unknown)
        #expect(PacketClass.classify(firstByte: 22) == .dtls)
        #expect(PacketClass.classify(firstByte: 63) == .dtls)
        #expect(PacketClass.classify(firstByte: 64) == .unknown)
        #expect(PacketClass.classify(firstByte: 0x80) == .rtpOrRtcp)
        #expect(PacketClass.classify(firstByte: 191) == .rtpOrRtcp)
        #expect(PacketClass.classify(firstByte: 192) == .unknown)
        #expect(PacketClass.isRTCP(secondByte: 200))
        #expect(PacketClass.isRTCP(secondByte: 201))
        #expect(!PacketClass.isRTCP(secondByte: 111))
        #expect(!PacketClass.isRTCP(secondByte: 111 | 0x80))
        #expect(!PacketClass.isRTCP(secondByte: 224))
    }
}
