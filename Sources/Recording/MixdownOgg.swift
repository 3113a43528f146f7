import COpus
import Crypto

/// Encodes a mixdown (mono 16-bit PCM at 48 kHz) with libopus into a single-stream Ogg
/// Opus file (RFC 7845) that any player opens: one beginning-of-stream page with
/// OpusHead, then OpusTags, then one 20 ms packet per page, the last page marked
/// end-of-stream.
///
/// Timing (RFC 7845 4): OpusHead's pre-skip is the encoder's look-ahead, so the first
/// decoded samples a player drops are the encoder's delay; the input is padded with
/// silence to whole frames and the last page's granule position (`preSkip + pcm.count`)
/// trims the padding away, so the decoded length equals `pcm.count`.
enum MixdownOgg {
    /// Bit rate of the exported stream, in bits per second: ample for mono speech and
    /// music at 48 kHz.
    static let bitrate: Int32 = 64_000

    /// The Ogg Opus file holding `pcm`. Throws when libopus cannot create the encoder or
    /// refuses a frame.
    static func encode(_ pcm: [Int16], comments: [String] = []) throws -> [UInt8] {
        let encoder = try MonoEncoder(bitrate: bitrate)
        let preSkip = encoder.lookahead
        let frame = OpusFormat.frameSamples
        let total = Int64(preSkip) + Int64(pcm.count)
        let frames = (pcm.count + preSkip + frame - 1) / frame

        var out: [UInt8] = []
        let random = SecureRandom.bytes(4)
        let serial = Int32(bitPattern: random.reduce(0) { $0 << 8 | UInt32($1) } & 0x7fff_ffff)
        let stream = OggStreamWriter(serial: serial)
        OpusFormat.head(preSkip: UInt16(preSkip)).withUnsafeBytes {
            stream.page($0, granule: 0, bos: true, into: &out)
        }
        OpusFormat.tags(comments).withUnsafeBytes {
            stream.page($0, granule: 0, eos: frames == 0, into: &out)
        }

        var buffer = [Int16](repeating: 0, count: frame)
        for index in 0..<frames {
            let start = index * frame
            let available = max(0, min(frame, pcm.count - start))
            for offset in 0..<frame {
                buffer[offset] = offset < available ? pcm[start + offset] : 0
            }
            let packet = try encoder.encode(buffer)
            let granule = min(Int64(start + frame), total)
            packet.withUnsafeBytes {
                stream.page($0, granule: granule, eos: index == frames - 1, into: &out)
            }
        }
        return out
    }

    /// A libopus encoder for mono 48 kHz audio. Owns its encoder state.
    private final class MonoEncoder {
        private let encoder: OpaquePointer
        /// The encoder's delay, in samples at 48 kHz.
        let lookahead: Int
        /// The largest Opus packet (RFC 6716 3.2.1) plus room: 1275 bytes per frame.
        private var packet = [UInt8](repeating: 0, count: 1_500)

        init(bitrate: Int32) throws {
            var error: Int32 = 0
            guard let encoder = opus_encoder_create(
                OpusFormat.sampleRate, 1, OPUS_APPLICATION_AUDIO, &error), error == OPUS_OK
            else { throw RecordingError.encoding("opus_encoder_create failed: \(error)") }
            self.encoder = encoder
            _ = whoot_opus_set_bitrate(encoder, bitrate)
            var delay: Int32 = 0
            guard whoot_opus_get_lookahead(encoder, &delay) == OPUS_OK, delay >= 0 else {
                opus_encoder_destroy(encoder)
                throw RecordingError.encoding("libopus did not report its look-ahead")
            }
            lookahead = Int(delay)
        }

        deinit { opus_encoder_destroy(encoder) }

        /// One Opus packet for `pcm`, which holds exactly one 20 ms frame.
        func encode(_ pcm: [Int16]) throws -> [UInt8] {
            let count = packet.withUnsafeMutableBufferPointer { output in
                opus_encode(encoder, pcm, Int32(pcm.count), output.baseAddress!,
                            Int32(output.count))
            }
            guard count > 0 else {
                throw RecordingError.encoding("opus_encode failed: \(count)")
            }
            return Array(packet[0..<Int(count)])
        }
    }
}
