import Crypto
import Wire

/// Lays a channel's recorded frames out as Ogg Opus (RFC 7845): one logical stream per
/// speaker, each beginning with OpusHead and OpusTags (comment `WHOOT_SPEAKER=member:<id>`)
/// and carrying one packet per page.
///
/// Timing: the recording starts at the first frame's arrival (`startMs`). A speaker's
/// stream starts at its first frame's arrival offset, in samples at 48 kHz; after that its
/// granule positions follow the speaker's RTP timestamps, so silences (gaps in the RTP
/// clock) and each speaker's place in time are kept. A jump of more than a minute in a
/// speaker's RTP clock (a new session of the same member) starts a new logical stream.
///
/// Layout notes: a speaker who joins later begins a logical stream mid-file, so not every
/// beginning-of-stream page comes first as RFC 3533 grouping asks; a gap shows as a jump in
/// granule positions rather than as coded silence. `RecordingReader` handles both.
///
/// Sans-IO: `add` and `finish` append the bytes to write. Writer thread only.
final class OggOpusMuxer {
    private final class Speaker {
        let stream: OggStreamWriter
        var lastTimestamp: UInt32
        /// The first packet's start, in samples since the recording began.
        let base: Int64
        /// Samples of RTP clock since the first packet's timestamp.
        var elapsed: Int64 = 0
        var lastEnd: Int64
        /// The newest packet, held back so that the last one can carry end-of-stream.
        var held: (bytes: [UInt8], end: Int64)?

        init(stream: OggStreamWriter, timestamp: UInt32, base: Int64) {
            self.stream = stream
            lastTimestamp = timestamp
            self.base = base
            lastEnd = base
        }
    }

    /// Monotonic ms of the recording's first frame.
    let startMs: UInt64
    /// End of the latest packet of any speaker, in samples at 48 kHz since `startMs`.
    private(set) var durationSamples: Int64 = 0
    private(set) var framesWritten: UInt64 = 0
    /// Frames refused: malformed Opus, or older than the speaker's last one.
    private(set) var framesRejected: UInt64 = 0

    private var speakers: [MemberID: Speaker] = [:]
    private var nextSerial: Int32
    static let restartSamples: Int64 = 60 * 48_000

    init(startMs: UInt64) {
        self.startMs = startMs
        let random = SecureRandom.bytes(4)
        nextSerial = Int32(bitPattern: random.reduce(0) { $0 << 8 | UInt32($1) } & 0x3fff_ffff)
    }

    func add(_ frame: RecordingTap.Frame, into out: inout [UInt8]) {
        guard let samples = OpusFormat.samples(in: frame.payload) else {
            framesRejected += 1
            return
        }
        let arrival = Int64(frame.arrivalMs &- min(frame.arrivalMs, startMs)) * 48
        var speaker: Speaker
        if let known = speakers[frame.speaker] {
            let delta = Int64(Int32(bitPattern: frame.timestamp &- known.lastTimestamp))
            if abs(delta) > Self.restartSamples {
                close(known, into: &out)
                speaker = begin(frame.speaker, timestamp: frame.timestamp, at: arrival, into: &out)
            } else if delta <= 0 {
                framesRejected += 1
                return
            } else {
                speaker = known
                speaker.elapsed += delta
                speaker.lastTimestamp = frame.timestamp
            }
        } else {
            speaker = begin(frame.speaker, timestamp: frame.timestamp, at: arrival, into: &out)
        }

        let end = speaker.base + speaker.elapsed + Int64(samples)
        if let held = speaker.held {
            emit(held, on: speaker, eos: false, into: &out)
        }
        speaker.held = (Array(frame.payload), end)
        speaker.lastEnd = end
        durationSamples = max(durationSamples, end)
        framesWritten += 1
    }

    /// Writes every speaker's held packet with end-of-stream set.
    func finish(into out: inout [UInt8]) {
        for speaker in speakers.values { close(speaker, into: &out) }
        speakers.removeAll()
    }

    private func begin(
        _ member: MemberID, timestamp: UInt32, at base: Int64, into out: inout [UInt8]
    ) -> Speaker {
        let stream = OggStreamWriter(serial: nextSerial)
        nextSerial = nextSerial &+ 1
        let speaker = Speaker(stream: stream, timestamp: timestamp, base: base)
        OpusFormat.head().withUnsafeBytes { stream.page($0, granule: 0, bos: true, into: &out) }
        OpusFormat.tags(["WHOOT_SPEAKER=member:\(member.rawValue)"]).withUnsafeBytes {
            stream.page($0, granule: 0, into: &out)
        }
        speakers[member] = speaker
        return speaker
    }

    private func close(_ speaker: Speaker, into out: inout [UInt8]) {
        if let held = speaker.held { emit(held, on: speaker, eos: true, into: &out) }
        speaker.held = nil
    }

    private func emit(
        _ packet: (bytes: [UInt8], end: Int64), on speaker: Speaker, eos: Bool,
        into out: inout [UInt8]
    ) {
        packet.bytes.withUnsafeBytes {
            speaker.stream.page($0, granule: packet.end, eos: eos, into: &out)
        }
    }
}
