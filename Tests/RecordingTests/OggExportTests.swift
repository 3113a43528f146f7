import COpus
import Recording
import Testing
import Wire

@Suite struct OggExportTests {
    @Test func aTwoSpeakerExportIsOneOggOpusStreamThatDecodesToBothTones() throws {
        let fixture = try RecordingFixture()
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: true)
        let tap = fixture.writer.tap(tenant: fixture.tenant, channel: fixture.channel)
        let start = fixture.monoMs
        // Speaker 1: 440 Hz for 2 s from 0; speaker 2 joins at 1.0 s with 660 Hz for 0.6 s.
        fixture.speak(ToneEncoder(frequency: 440), as: MemberID(1), into: tap, count: 100,
                      startMs: start)
        fixture.speak(ToneEncoder(frequency: 660), as: MemberID(2), into: tap, count: 30,
                      startMs: start + 1_000, timestamp: 7_000)
        fixture.monoMs += 2_000
        fixture.writer.runOnce()
        try fixture.service.update(fixture.admin, channel: fixture.channel, enabled: false)
        fixture.writer.runOnce()
        let record = try requireRecord(fixture.service.list(fixture.admin).first)

        let pages = try OggPage.split(try fixture.service.exportOgg(
            fixture.admin, recording: record.id).ogg)
        #expect(Set(pages.map(\.serial)).count == 1)
        #expect(pages.first?.bos == true && pages.dropFirst().allSatisfy { !$0.bos })
        #expect(pages.last?.eos == true && pages.dropLast().allSatisfy { !$0.eos })
        let granules = pages.map(\.granule)
        #expect(granules == granules.sorted())

        let pcm = try decode(pages)
        #expect(pcm.count == 2 * 48_000)
        func share(_ from: Double, _ to: Double, _ hz: Double) -> Double {
            toneShare(pcm, Int(from * 48_000)..<Int(to * 48_000), frequency: hz)
        }
        #expect(share(0.1, 0.95, 440) > 0.8 && share(0.1, 0.95, 660) < 0.05)
        #expect(share(1.05, 1.55, 660) > 0.25 && share(1.05, 1.55, 440) > 0.25)
        #expect(share(1.7, 1.95, 440) > 0.8 && share(1.7, 1.95, 660) < 0.05)
        #expect(try fixture.audit().contains {
            $0.entry.target == "recording:\(record.id)"
                && $0.entry.metadataJSON.contains(#""operation":"export.ogg""#)
        })
    }

    /// Decodes one Ogg Opus stream as a player does (RFC 7845 4): drops OpusHead's
    /// pre-skip and ends at the last page's granule position.
    private func decode(_ pages: [OggPage]) throws -> [Int16] {
        let head = try #require(pages.first?.packets.first)
        #expect(Array(head.prefix(8)) == Array("OpusHead".utf8))
        let preSkip = Int(head[10]) | Int(head[11]) << 8
        var error: Int32 = 0
        let decoder = try #require(opus_decoder_create(48_000, 1, &error))
        defer { opus_decoder_destroy(decoder) }

        var pcm: [Int16] = []
        var frame = [Int16](repeating: 0, count: 5_760)
        for packet in pages.dropFirst(2).flatMap(\.packets) {
            let count = opus_decode(decoder, packet, Int32(packet.count), &frame, 5_760, 0)
            #expect(count > 0)
            pcm += frame[0..<Int(max(count, 0))]
        }
        let end = Int(try #require(pages.last?.granule))
        return Array(pcm[preSkip..<min(end, pcm.count)])
    }
}

/// One Ogg page (RFC 3533 6) with its whole packets; packets spanning pages are not
/// needed here, since every exported packet fits a page.
struct OggPage {
    var bos: Bool
    var eos: Bool
    var granule: Int64
    var serial: UInt32
    var packets: [[UInt8]]

    struct Malformed: Error {}

    static func split(_ bytes: [UInt8]) throws -> [OggPage] {
        var pages: [OggPage] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 27 <= bytes.count,
                Array(bytes[offset..<(offset + 4)]) == Array("OggS".utf8)
            else { throw Malformed() }
            let flags = bytes[offset + 5]
            let granule = (0..<8).reduce(Int64(0)) {
                $0 | Int64(bytes[offset + 6 + $1]) << (8 * Int64($1))
            }
            let serial = (0..<4).reduce(UInt32(0)) {
                $0 | UInt32(bytes[offset + 14 + $1]) << (8 * UInt32($1))
            }
            let segments = Int(bytes[offset + 26])
            let lacing = Array(bytes[(offset + 27)..<(offset + 27 + segments)])
            var body = offset + 27 + segments
            var packets: [[UInt8]] = []
            var packet: [UInt8] = []
            for length in lacing {
                packet += bytes[body..<(body + Int(length))]
                body += Int(length)
                if length < 255 {
                    packets.append(packet)
                    packet = []
                }
            }
            guard packet.isEmpty else { throw Malformed() }
            pages.append(OggPage(bos: flags & 2 != 0, eos: flags & 4 != 0, granule: granule,
                                 serial: serial, packets: packets))
            offset = body
        }
        return pages
    }
}
