import Crypto

/// The encrypted container of a recording or transcript: a header, then chunks sealed
/// with AES-256-GCM under the file's own key, in a STREAM-like construction (Hoang,
/// Reyhanitabar, Rogaway, Vizár 2015).
///
/// Header (33 bytes): magic "WHOOTREC" (8) || version (1) || kind (1) || nonce prefix (7)
/// || file id (16). Each chunk: sealed length (u32, big-endian) || ciphertext || tag (16).
/// Chunk `i` is sealed with nonce = prefix || i (u32, big-endian) || last flag (1 byte,
/// 1 on the final chunk only), and associated data = header || its length field. So
/// editing any byte, reordering chunks, cutting the file or gluing two files together
/// fails authentication or leaves the file without its final chunk.
public enum SealedFile {
    public static let magic: [UInt8] = Array("WHOOTREC".utf8)
    public static let version: UInt8 = 1
    public static let headerBytes = 33
    public static let noncePrefixBytes = 7
    /// The largest sealed chunk a reader accepts, in bytes (1 MiB of plaintext + tag).
    public static let maxSealedChunk = 1 << 20 + AES256GCM.tagBytes

    /// What the file holds; bound into every chunk through the header.
    public enum Kind: UInt8, Sendable {
        case audio = 1
        case transcript = 2
    }

    static func nonce(prefix: [UInt8], counter: UInt32, last: Bool) -> [UInt8] {
        prefix + [
            UInt8(counter >> 24), UInt8((counter >> 16) & 0xff), UInt8((counter >> 8) & 0xff),
            UInt8(counter & 0xff), last ? 1 : 0,
        ]
    }

    static func lengthField(_ length: Int) -> [UInt8] {
        let value = UInt32(length)
        return [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff),
                UInt8(value & 0xff)]
    }
}

/// Seals plaintext into chunks. Sans-IO: it returns the bytes to append to the file;
/// the caller owns the file. One writer per file; not thread-safe.
public struct SealedFileWriter {
    public let header: [UInt8]
    private let key: Secret<[UInt8]>
    private let prefix: [UInt8]
    private var counter: UInt32 = 0
    public private(set) var finished = false

    /// - Parameters:
    ///   - key: the file's own 32-byte key.
    ///   - fileID: 16 bytes naming the file (also its name on disk and in the database).
    public init(key: Secret<[UInt8]>, fileID: [UInt8], kind: SealedFile.Kind) {
        precondition(fileID.count == 16, "file id must be 16 bytes")
        self.key = key
        prefix = SecureRandom.bytes(SealedFile.noncePrefixBytes)
        header = SealedFile.magic + [SealedFile.version, kind.rawValue] + prefix + fileID
    }

    /// The bytes of one sealed chunk holding `plaintext`; `last` marks the final chunk,
    /// after which nothing more may be sealed.
    public mutating func seal(_ plaintext: [UInt8], last: Bool) throws -> [UInt8] {
        precondition(!finished, "sealed a chunk after the final one")
        precondition(plaintext.count <= SealedFile.maxSealedChunk - AES256GCM.tagBytes)
        guard counter < UInt32.max else {
            throw CryptoError("seal chunk", reason: "chunk counter exhausted")
        }
        let length = SealedFile.lengthField(plaintext.count + AES256GCM.tagBytes)
        let sealed = try AES256GCM.seal(
            plaintext, key: key, nonce: SealedFile.nonce(prefix: prefix, counter: counter,
                                                         last: last),
            associatedData: header + length)
        counter += 1
        finished = last
        return length + sealed
    }
}

/// Why a sealed file could not be opened. Each message names the chunk where it failed.
public enum SealedFileError: Error, Equatable, CustomStringConvertible {
    case notASealedFile
    case unsupportedVersion(UInt8)
    case wrongKind(expected: UInt8, found: UInt8)
    case badChunkLength(index: Int, length: Int)
    case chunkAuthentication(index: Int)
    case truncated(wholeChunks: Int)
    case trailingData(bytes: Int)

    public var description: String {
        switch self {
        case .notASealedFile:
            return "not a whoot recording file (bad magic or shorter than its header)"
        case .unsupportedVersion(let version):
            return "recording file version \(version) is not supported"
        case .wrongKind(let expected, let found):
            return "file holds kind \(found), expected kind \(expected)"
        case .badChunkLength(let index, let length):
            return "chunk \(index) claims \(length) bytes, outside "
                + "16...\(SealedFile.maxSealedChunk); the file is corrupt"
        case .chunkAuthentication(let index):
            return "chunk \(index) failed authentication: the file was edited, its chunks "
                + "reordered, or the key is wrong"
        case .truncated(let wholeChunks):
            return "file ends after \(wholeChunks) whole chunks without its final chunk: it "
                + "was truncated or its writer stopped before finishing"
        case .trailingData(let bytes):
            return "\(bytes) bytes follow the final chunk; the file was altered"
        }
    }
}

/// Opens a sealed file held in memory.
public enum SealedFileReader {
    /// What was read: the plaintext of every whole chunk, and whether the final chunk was
    /// among them.
    public struct Contents {
        public var plaintext: [UInt8]
        public var complete: Bool
        public var chunks: Int
    }

    /// The 16-byte file id from the header, without opening anything.
    public static func fileID(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count >= SealedFile.headerBytes,
            Array(bytes[0..<8]) == SealedFile.magic
        else { throw SealedFileError.notASealedFile }
        return Array(bytes[17..<33])
    }

    /// Decrypts `bytes`. Strict by default: a file without its final chunk throws
    /// `.truncated`. With `allowIncomplete`, a file cut short (a writer that crashed)
    /// yields every whole chunk before the cut and `complete == false`; a chunk that fails
    /// authentication is an error either way.
    public static func open(
        _ bytes: [UInt8], key: Secret<[UInt8]>, kind: SealedFile.Kind,
        allowIncomplete: Bool = false
    ) throws -> Contents {
        guard bytes.count >= SealedFile.headerBytes,
            Array(bytes[0..<8]) == SealedFile.magic
        else { throw SealedFileError.notASealedFile }
        guard bytes[8] == SealedFile.version else {
            throw SealedFileError.unsupportedVersion(bytes[8])
        }
        guard bytes[9] == kind.rawValue else {
            throw SealedFileError.wrongKind(expected: kind.rawValue, found: bytes[9])
        }
        let header = Array(bytes[0..<SealedFile.headerBytes])
        let prefix = Array(bytes[10..<17])

        var contents = Contents(plaintext: [], complete: false, chunks: 0)
        var offset = SealedFile.headerBytes
        while offset + 4 <= bytes.count {
            let lengthField = Array(bytes[offset..<(offset + 4)])
            let length = lengthField.reduce(0) { $0 << 8 | Int($1) }
            guard length >= AES256GCM.tagBytes, length <= SealedFile.maxSealedChunk else {
                throw SealedFileError.badChunkLength(index: contents.chunks, length: length)
            }
            guard offset + 4 + length <= bytes.count else { break }
            let sealed = Array(bytes[(offset + 4)..<(offset + 4 + length)])
            let index = contents.chunks
            guard let plain = openChunk(
                sealed, key: key, prefix: prefix, index: index, header: header,
                lengthField: lengthField)
            else { throw SealedFileError.chunkAuthentication(index: index) }

            contents.plaintext += plain.bytes
            contents.chunks += 1
            offset += 4 + length
            if plain.last {
                contents.complete = true
                guard offset == bytes.count else {
                    throw SealedFileError.trailingData(bytes: bytes.count - offset)
                }
                return contents
            }
        }
        guard allowIncomplete else { throw SealedFileError.truncated(wholeChunks: contents.chunks) }
        return contents
    }

    /// Tries the chunk as a middle chunk, then as the final one: the flag is part of the
    /// nonce, so exactly one can verify.
    private static func openChunk(
        _ sealed: [UInt8], key: Secret<[UInt8]>, prefix: [UInt8], index: Int,
        header: [UInt8], lengthField: [UInt8]
    ) -> (bytes: [UInt8], last: Bool)? {
        guard index < Int(UInt32.max) else { return nil }
        for last in [false, true] {
            let nonce = SealedFile.nonce(prefix: prefix, counter: UInt32(index), last: last)
            if let plain = try? AES256GCM.open(
                sealed, key: key, nonce: nonce, associatedData: header + lengthField)
            {
                return (plain, last)
            }
        }
        return nil
    }
}
