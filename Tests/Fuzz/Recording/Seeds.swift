import COpus
import Crypto
import Foundation
import Wire
@testable import Recording

/// The file key every Recording input is opened with (seeds are sealed with it too).
let fuzzKey = Secret((0..<32).map { UInt8($0) &* 7 &+ 3 })

/// Writes the Recording seeds into `directory`: Ogg Opus streams laid out by the
/// recording muxer (one speaker; two speakers with a late joiner and an RTP gap), each
/// bare and sealed as the recording writer seals it (whole, in several chunks, and cut
/// before its final chunk). Returns the exit status.
func writeSeeds(to directory: String) -> Int32 {
    let single = muxedOgg([(speaker: 1, hz: 440, frames: 0..<10, startMs: 0, timestamp: 100)])
    let pair = muxedOgg([
        (speaker: 1, hz: 440, frames: 0..<10, startMs: 0, timestamp: 9_000),
        (speaker: 2, hz: 660, frames: 0..<3, startMs: 60, timestamp: 77),
        (speaker: 2, hz: 660, frames: 8..<11, startMs: 180, timestamp: 77),
    ])
    var seeds: [(String, [UInt8])] = [("ogg-one-speaker", single), ("ogg-two-speakers", pair)]
    for (name, ogg) in [("one-speaker", single), ("two-speakers", pair)] {
        seeds.append(("sealed-\(name)-whole", sealed(ogg, chunk: ogg.count, cut: false)))
        seeds.append(("sealed-\(name)-chunks", sealed(ogg, chunk: 400, cut: false)))
        seeds.append(("sealed-\(name)-cut", sealed(ogg, chunk: 400, cut: true)))
    }
    seeds.append(("sealed-empty", sealed([], chunk: 1, cut: false)))
    do {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in seeds {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    } catch {
        print("cannot write seeds to \(directory): \(error)")
        return 1
    }
    print("wrote \(seeds.count) seeds to \(directory)")
    return 0
}

/// Ogg Opus from the recording muxer for runs of 20 ms tone frames: each run is one
/// speaker's frames `frames` (indices into its RTP clock from `timestamp`), arriving from
/// `startMs` on.
private func muxedOgg(
    _ runs: [(speaker: Int64, hz: Double, frames: Range<Int>, startMs: UInt64,
              timestamp: UInt32)]
) -> [UInt8] {
    let muxer = OggOpusMuxer(startMs: 1_000)
    var out: [UInt8] = []
    for run in runs {
        let encoder = ToneEncoder(frequency: run.hz)
        for index in run.frames {
            let payload = encoder.nextFrame()
            payload.withUnsafeBytes { bytes in
                let frame = RecordingTap.Frame(
                    speaker: MemberID(run.speaker),
                    timestamp: run.timestamp &+ UInt32(index * 960),
                    arrivalMs: 1_000 + run.startMs + UInt64((index - run.frames.lowerBound) * 20),
                    payload: bytes)
                muxer.add(frame, into: &out)
            }
        }
    }
    muxer.finish(into: &out)
    return out
}

/// `plaintext` sealed as an audio file under `fuzzKey` in chunks of `chunk` bytes; `cut`
/// leaves out the final chunk, as a writer that crashed would.
private func sealed(_ plaintext: [UInt8], chunk: Int, cut: Bool) -> [UInt8] {
    var writer = SealedFileWriter(key: fuzzKey, fileID: Array(repeating: 0xAB, count: 16),
                                  kind: .audio)
    var out = writer.header
    var offset = 0
    repeat {
        let end = min(plaintext.count, offset + chunk)
        let last = end == plaintext.count
        if last && cut { break }
        out += try! writer.seal(Array(plaintext[offset..<end]), last: last)
        offset = end
    } while offset < plaintext.count
    return out
}

/// 20 ms mono frames of a sine tone, encoded with libopus.
private final class ToneEncoder {
    private let encoder: OpaquePointer
    private var phase = 0.0
    private let step: Double

    init(frequency: Double) {
        var error: Int32 = 0
        encoder = opus_encoder_create(48_000, 1, OPUS_APPLICATION_AUDIO, &error)!
        step = 2 * Double.pi * frequency / 48_000
    }

    deinit { opus_encoder_destroy(encoder) }

    func nextFrame() -> [UInt8] {
        var pcm = [Int16](repeating: 0, count: 960)
        for index in pcm.indices {
            pcm[index] = Int16(8_000 * sin(phase))
            phase += step
        }
        var out = [UInt8](repeating: 0, count: 1_275)
        let count = opus_encode(encoder, pcm, 960, &out, 1_275)
        return Array(out[0..<Int(max(0, count))])
    }
}
