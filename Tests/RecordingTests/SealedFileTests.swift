import Crypto
import Recording
import Testing

@Suite struct SealedFileTests {
    let key = KeyWrap.generateKey()
    let fileID = SecureRandom.bytes(16)

    /// A file of three 100-byte chunks and a final 40-byte one; also returns the offset
    /// where each chunk starts.
    func sealedFile() throws -> (bytes: [UInt8], chunkStarts: [Int]) {
        var writer = SealedFileWriter(key: key, fileID: fileID, kind: .audio)
        var bytes = writer.header
        var starts: [Int] = []
        for index in 0..<3 {
            starts.append(bytes.count)
            bytes += try writer.seal([UInt8](repeating: UInt8(index), count: 100), last: false)
        }
        starts.append(bytes.count)
        bytes += try writer.seal([UInt8](repeating: 9, count: 40), last: true)
        return (bytes, starts)
    }

    @Test func sealedFileOpensToItsPlaintext() throws {
        let contents = try SealedFileReader.open(sealedFile().bytes, key: key, kind: .audio)
        #expect(contents.complete)
        #expect(contents.chunks == 4)
        #expect(contents.plaintext.count == 340)
        #expect(Array(contents.plaintext[100..<200]) == [UInt8](repeating: 1, count: 100))
    }

    @Test func alteringAnyByteIsDetected() throws {
        let (bytes, _) = try sealedFile()
        for index in bytes.indices {
            var altered = bytes
            altered[index] ^= 0x01
            #expect(throws: SealedFileError.self, "byte \(index) changed unnoticed") {
                try SealedFileReader.open(altered, key: key, kind: .audio)
            }
        }
    }

    @Test func truncatingAtAChunkBoundaryIsDetected() throws {
        let (bytes, starts) = try sealedFile()
        for (count, start) in starts.enumerated() {
            #expect(throws: SealedFileError.truncated(wholeChunks: count)) {
                try SealedFileReader.open(Array(bytes[..<start]), key: key, kind: .audio)
            }
        }
    }

    @Test func swappingTwoChunksIsDetected() throws {
        let (bytes, starts) = try sealedFile()
        let first = Array(bytes[starts[0]..<starts[1]])
        let second = Array(bytes[starts[1]..<starts[2]])
        let swapped = Array(bytes[..<starts[0]]) + second + first + Array(bytes[starts[2]...])
        #expect(throws: SealedFileError.chunkAuthentication(index: 0)) {
            try SealedFileReader.open(swapped, key: key, kind: .audio)
        }
    }

    @Test func droppingAMiddleChunkIsDetected() throws {
        let (bytes, starts) = try sealedFile()
        let dropped = Array(bytes[..<starts[1]]) + Array(bytes[starts[2]...])
        #expect(throws: SealedFileError.chunkAuthentication(index: 1)) {
            try SealedFileReader.open(dropped, key: key, kind: .audio)
        }
    }

    @Test func aFileCutAtAnyByteOpensUpToItsLastWholeChunk() throws {
        let (bytes, starts) = try sealedFile()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let cut = Int.random(in: 0..<(bytes.count - 1), using: &generator)
            if cut < 33 {
                #expect(throws: SealedFileError.notASealedFile) {
                    try SealedFileReader.open(Array(bytes[..<cut]), key: key, kind: .audio,
                                              allowIncomplete: true)
                }
                continue
            }
            let contents = try SealedFileReader.open(
                Array(bytes[..<cut]), key: key, kind: .audio, allowIncomplete: true)
            let whole = starts.filter { $0 <= cut }.count - 1
            #expect(!contents.complete)
            #expect(contents.chunks == whole, "cut at \(cut)")
            #expect(contents.plaintext.count == whole * 100)
        }
    }

    @Test func aWrongKeyOrKindIsRefusedWithAClearError() throws {
        let (bytes, _) = try sealedFile()
        #expect(throws: SealedFileError.chunkAuthentication(index: 0)) {
            try SealedFileReader.open(bytes, key: KeyWrap.generateKey(), kind: .audio)
        }
        #expect(throws: SealedFileError.wrongKind(expected: 2, found: 1)) {
            try SealedFileReader.open(bytes, key: key, kind: .transcript)
        }
        let message = SealedFileError.chunkAuthentication(index: 3).description
        #expect(message.contains("chunk 3") && message.contains("edited"))
    }

    @Test func keyWrapIsBoundToItsContext() throws {
        let kek = KeyWrap.generateKey()
        let wrapped = try KeyWrap.wrap(key, with: kek, context: "file:a")
        #expect(try KeyWrap.unwrap(wrapped, with: kek, context: "file:a").reveal == key.reveal)
        #expect(throws: KeyWrapError.unwrapFailed(context: "file:b")) {
            try KeyWrap.unwrap(wrapped, with: kek, context: "file:b")
        }
        #expect(throws: KeyWrapError.self) {
            try KeyWrap.unwrap(wrapped, with: KeyWrap.generateKey(), context: "file:a")
        }
    }
}
