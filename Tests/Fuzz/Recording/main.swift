import Crypto
import Foundation
import FuzzSupport
import Recording

/// A recording file as `RecordingService` reads it back: `SealedFileReader.open` under a
/// fixed key, strict and with `allowIncomplete`, then the Ogg Opus inside through
/// `Mixdown.tracks`, `mix` and `wav`. The raw input also goes straight to the Ogg path, so
/// the demuxer and decoder see inputs that did not have to pass authentication, once as
/// it is and once with its Ogg page checksums rewritten (OggChecksums.swift).
///
/// Seeds: `swift run FuzzRecording --write-seeds Tests/Fuzz/corpus/Recording` (Seeds.swift)
/// writes files sealed with `fuzzKey` around Ogg streams made by the recording muxer.
if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
    exit(writeSeeds(to: CommandLine.arguments[2]))
}

/// The largest mixdown the target renders, in samples: a forged granule position can ask
/// for hours of audio, which the real export refuses only by running out of memory.
let maxMixSamples = 10 * 48_000

func mixdown(_ ogg: [UInt8]) {
    guard let tracks = try? Mixdown.tracks(ogg: ogg) else { return }
    for track in tracks {
        precondition(track.startSample >= 0, "a track starts before the recording")
    }
    let length = tracks.map { $0.startSample + $0.pcm.count }.max() ?? 0
    guard length <= maxMixSamples else { return }
    let pcm = Mixdown.mix(tracks)
    precondition(pcm.count == length, "the mix is not as long as its longest track")
    let wav = Mixdown.wav(pcm)
    precondition(wav.count == 44 + 2 * pcm.count, "the WAV is not header plus samples")
}

FuzzDriver.run { input in
    let bytes = Array(input)
    for allowIncomplete in [false, true] {
        guard let contents = try? SealedFileReader.open(
            bytes, key: fuzzKey, kind: .audio, allowIncomplete: allowIncomplete)
        else { continue }
        precondition(contents.complete || allowIncomplete, "strict open of an incomplete file")
        mixdown(contents.plaintext)
    }
    mixdown(bytes)
    let checksummed = withOggChecksums(bytes)
    if checksummed != bytes { mixdown(checksummed) }
}
