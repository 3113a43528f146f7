import Testing
@testable import Recording

/// Granule positions inside one logical stream: a gap becomes silence, but one longer
/// than any writer leaves is refused instead of being filled sample by sample (found by
/// the Recording fuzz target: a forged granule asked for terabytes).
@Suite struct MixdownGapTests {
    /// One speaker's stream: OpusHead, OpusTags, then `frame` ending at each of `ends`.
    static func ogg(ends: [Int64]) -> [UInt8] {
        let stream = OggStreamWriter(serial: 7)
        let frame = ToneEncoder(frequency: 440).nextFrame()
        var out: [UInt8] = []
        OpusFormat.head().withUnsafeBytes { stream.page($0, granule: 0, bos: true, into: &out) }
        OpusFormat.tags(["WHOOT_SPEAKER=member:1"]).withUnsafeBytes {
            stream.page($0, granule: 0, into: &out)
        }
        for (index, end) in ends.enumerated() {
            frame.withUnsafeBytes {
                stream.page($0, granule: end, eos: index == ends.count - 1, into: &out)
            }
        }
        return out
    }

    @Test func aGapUnderAMinuteInsideAStreamIsKeptAsSilence() throws {
        let gap: Int64 = 59 * 48_000
        let tracks = try Mixdown.tracks(ogg: Self.ogg(ends: [960, 1_920 + gap]))
        #expect(tracks.count == 1)
        #expect(tracks.first.map { $0.startSample + $0.pcm.count } == Int(1_920 + gap))
    }

    @Test func aGranuleJumpFarBeyondAnyWriterIsCorruptNotAnAllocation() {
        #expect(throws: RecordingError.self) {
            try Mixdown.tracks(ogg: Self.ogg(ends: [960, 1 << 40]))
        }
    }
}
