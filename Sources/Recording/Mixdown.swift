/// Turns a recording's Ogg Opus back into audio: each speaker's stream decoded with
/// libopus and placed by its granule positions, then all speakers summed into one mono
/// 48 kHz track.
public enum Mixdown {
    /// One speaker's logical stream, decoded.
    public struct Track: Sendable {
        /// The OpusTags comment naming the speaker, e.g. "member:3".
        public var speaker: String
        /// Where the first decoded sample goes, in samples at 48 kHz from the start.
        public var startSample: Int
        public var pcm: [Int16]
        /// Packets with their place in time, in samples at 48 kHz.
        public var placements: [(start: Int, count: Int)]
    }

    /// The longest silence inside one logical stream, in samples at 48 kHz: the muxer's
    /// restart threshold plus one 120 ms packet.
    static let maxGapSamples = OggOpusMuxer.restartSamples + 5_760

    /// Decodes every logical stream of `ogg`. Throws `RecordingError.corrupt` for a
    /// malformed stream, including a gap inside a stream longer than a writer leaves.
    public static func tracks(ogg: [UInt8]) throws -> [Track] {
        let packets = try OggPacketReader().packets(of: ogg)
        var streams: [Int32: StreamState] = [:]
        var order: [Int32] = []

        for packet in packets {
            if packet.bos {
                let head = try OpusFormat.parseHead(packet.bytes)
                streams[packet.serial] = try StreamState(head: head)
                order.append(packet.serial)
                continue
            }
            guard let state = streams[packet.serial] else {
                throw RecordingError.corrupt(
                    "packet of Ogg stream \(packet.serial) before OpusHead")
            }
            if state.speaker == nil {
                let comments = try OpusFormat.parseTags(packet.bytes)
                let tag = comments.first { $0.hasPrefix("WHOOT_SPEAKER=") }
                state.speaker = tag.map { String($0.dropFirst("WHOOT_SPEAKER=".count)) } ?? "?"
                continue
            }
            state.pending.append(packet.bytes)
            if packet.pageGranule >= 0 { try state.place(pageGranule: packet.pageGranule) }
        }
        return try order.compactMap { serial in try streams[serial]?.track() }
    }

    /// The sum of `tracks`, clipped to 16 bits, as long as the latest track's end.
    public static func mix(_ tracks: [Track]) -> [Int16] {
        let length = tracks.map { $0.startSample + $0.pcm.count }.max() ?? 0
        var sum = [Int32](repeating: 0, count: length)
        for track in tracks {
            for (index, sample) in track.pcm.enumerated() {
                sum[track.startSample + index] += Int32(sample)
            }
        }
        return sum.map { Int16(clamping: $0) }
    }

    /// A RIFF WAVE file of mono 16-bit PCM at 48 kHz.
    public static func wav(_ pcm: [Int16]) -> [UInt8] {
        let dataBytes = UInt32(pcm.count * 2)
        var out = Array("RIFF".utf8) + OpusFormat.le32(36 + dataBytes) + Array("WAVEfmt ".utf8)
        out += OpusFormat.le32(16) + [1, 0, 1, 0] + OpusFormat.le32(48_000)
        out += OpusFormat.le32(96_000) + [2, 0, 16, 0]
        out += Array("data".utf8) + OpusFormat.le32(dataBytes)
        out.reserveCapacity(out.count + pcm.count * 2)
        for sample in pcm {
            let bits = UInt16(bitPattern: sample)
            out.append(UInt8(bits & 0xff))
            out.append(UInt8(bits >> 8))
        }
        return out
    }

    /// One logical stream while it is being read: packets waiting for their page's granule
    /// position, and the PCM decoded so far.
    private final class StreamState {
        let head: OpusFormat.Head
        let decoder: OpusMonoDecoder
        var speaker: String?
        var pending: [[UInt8]] = []
        var pcm: [Int16] = []
        var startSample: Int?
        var placements: [(start: Int, count: Int)] = []
        var lastEnd: Int64 = -1

        init(head: OpusFormat.Head) throws {
            self.head = head
            decoder = try OpusMonoDecoder()
        }

        /// Gives the pending packets their end positions, counting back from the page's
        /// granule position (RFC 7845 4), then decodes them into place.
        func place(pageGranule: Int64) throws {
            let durations = pending.map { packet in
                packet.withUnsafeBytes { OpusFormat.samples(in: $0) } ?? OpusFormat.frameSamples
            }
            var end = pageGranule - Int64(durations.reduce(0, +))
            guard end >= lastEnd else {
                throw RecordingError.corrupt("granule positions go backwards in a stream")
            }
            // The muxer starts a new stream when a speaker's clock jumps more than
            // `restartSamples`; a longer gap would be filled with silence sample by sample.
            guard lastEnd < 0 || end - lastEnd <= Mixdown.maxGapSamples else {
                throw RecordingError.corrupt(
                    "granule positions jump \(end - lastEnd) samples inside a stream, more "
                        + "than the \(Mixdown.maxGapSamples) a writer leaves")
            }
            for (packet, duration) in zip(pending, durations) {
                end += Int64(duration)
                let decoded = decoder.decode(packet, fallbackSamples: duration)
                let start = Int(end) - decoded.count - head.preSkip
                append(decoded, at: start)
            }
            lastEnd = pageGranule
            pending.removeAll()
        }

        private func append(_ decoded: ArraySlice<Int16>, at start: Int) {
            var samples = decoded
            var start = start
            if start < 0 {
                samples = samples.dropFirst(min(-start, samples.count))
                start = 0
            }
            guard !samples.isEmpty else { return }
            if startSample == nil { startSample = start }
            let offset = start - startSample!
            if offset > pcm.count {
                pcm += [Int16](repeating: 0, count: offset - pcm.count)
            }
            let overlap = min(pcm.count - offset, samples.count)
            if overlap > 0 { samples = samples.dropFirst(overlap) }
            pcm += samples
            placements.append((start, decoded.count))
        }

        func track() throws -> Mixdown.Track? {
            guard let startSample, let speaker else { return nil }
            return Mixdown.Track(
                speaker: speaker, startSample: startSample, pcm: pcm, placements: placements)
        }
    }
}
