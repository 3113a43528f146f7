import COpus

/// The Ogg Opus header packets (RFC 7845 5) and the libopus calls the recorder needs.
enum OpusFormat {
    /// Opus always runs its granule clock at 48 kHz (RFC 7845 4).
    static let sampleRate: Int32 = 48_000
    /// Samples in one 20 ms frame at 48 kHz.
    static let frameSamples = 960

    /// OpusHead (RFC 7845 5.1): version 1, `channels`, `preSkip` samples at 48 kHz (0 for
    /// recorded frames, which come from a live encoder that has already run), 48 kHz input
    /// rate, gain 0, mapping family 0.
    static func head(channels: UInt8 = 1, preSkip: UInt16 = 0) -> [UInt8] {
        Array("OpusHead".utf8) + [1, channels, UInt8(preSkip & 0xff), UInt8(preSkip >> 8)]
            + le32(48_000) + [0, 0, 0]
    }

    /// OpusTags (RFC 7845 5.2) with the vendor string and `comments` ("KEY=value").
    static func tags(_ comments: [String]) -> [UInt8] {
        var out = Array("OpusTags".utf8)
        let vendor = Array("whootd".utf8)
        out += le32(UInt32(vendor.count)) + vendor + le32(UInt32(comments.count))
        for comment in comments {
            let bytes = Array(comment.utf8)
            out += le32(UInt32(bytes.count)) + bytes
        }
        return out
    }

    struct Head {
        var channels: Int
        var preSkip: Int
    }

    static func parseHead(_ packet: [UInt8]) throws -> Head {
        guard packet.count >= 19, Array(packet[0..<8]) == Array("OpusHead".utf8),
            packet[8] & 0xf0 == 0, packet[9] >= 1
        else { throw RecordingError.corrupt("logical stream does not begin with OpusHead") }
        return Head(channels: Int(packet[9]), preSkip: Int(packet[10]) | Int(packet[11]) << 8)
    }

    /// The comments of an OpusTags packet.
    static func parseTags(_ packet: [UInt8]) throws -> [String] {
        guard packet.count >= 16, Array(packet[0..<8]) == Array("OpusTags".utf8) else {
            throw RecordingError.corrupt("OpusHead is not followed by OpusTags")
        }
        var offset = 8
        func field() throws -> Int {
            guard offset + 4 <= packet.count else { throw RecordingError.corrupt("short OpusTags") }
            defer { offset += 4 }
            return (0..<4).reduce(0) { $0 | Int(packet[offset + $1]) << (8 * $1) }
        }
        offset += try field()
        var comments: [String] = []
        for _ in 0..<(try field()) {
            let length = try field()
            guard offset + length <= packet.count else {
                throw RecordingError.corrupt("OpusTags comment runs past its packet")
            }
            comments.append(String(decoding: packet[offset..<(offset + length)], as: UTF8.self))
            offset += length
        }
        return comments
    }

    /// Samples at 48 kHz in an Opus packet (RFC 6716 3.1), or nil when it is malformed.
    static func samples(in packet: UnsafeRawBufferPointer) -> Int? {
        guard let base = packet.baseAddress, packet.count > 0 else { return nil }
        let count = opus_packet_get_nb_samples(
            base.assumingMemoryBound(to: UInt8.self), Int32(packet.count), sampleRate)
        return count > 0 ? Int(count) : nil
    }

    static func le32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff),
         UInt8(value >> 24)]
    }
}

/// A libopus decoder producing mono 16-bit PCM at 48 kHz. Owns its decoder state.
final class OpusMonoDecoder {
    private let decoder: OpaquePointer
    /// The longest Opus packet decodes to 120 ms: 5760 samples at 48 kHz.
    private var pcm = [Int16](repeating: 0, count: 5_760)

    init() throws {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(OpusFormat.sampleRate, 1, &error),
            error == OPUS_OK
        else {
            throw RecordingError.corrupt("opus_decoder_create failed: \(error)")
        }
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet; a packet libopus rejects decodes as concealment (silence-like)
    /// of `fallbackSamples`, so one bad frame does not shift the rest.
    func decode(_ packet: [UInt8], fallbackSamples: Int) -> ArraySlice<Int16> {
        let count = packet.withUnsafeBufferPointer { input in
            pcm.withUnsafeMutableBufferPointer { output in
                opus_decode(decoder, input.baseAddress, Int32(input.count), output.baseAddress!,
                            Int32(output.count), 0)
            }
        }
        if count > 0 { return pcm[0..<Int(count)] }
        let missing = min(max(fallbackSamples, 0), pcm.count)
        let concealed = pcm.withUnsafeMutableBufferPointer { output in
            opus_decode(decoder, nil, 0, output.baseAddress!, Int32(missing), 0)
        }
        return pcm[0..<Int(max(concealed, 0))]
    }
}
