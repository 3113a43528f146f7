import Crypto
import Synchronization

/// Recording exports too large for one admin-socket reply, held between the chunks that
/// `whootctl` fetches with the `continue` token of the previous one.
///
/// The export is decrypted, mixed and audited once, on the first call; each continuation
/// only hands out the next slice. An entry belongs to the local uid that asked for it,
/// lives `lifetimeMs` after its last chunk was fetched, and at most `capacity` are held
/// (decrypted audio is not left lying in memory, and one operator cannot fill it).
///
/// Thread use: any thread (admin connections run side by side).
public final class PendingExports: Sendable {
    public struct Chunk: Sendable {
        public let bytes: ArraySlice<UInt8>
        public let offset: Int
        public let total: Int
        public let format: String
        /// The token for the next chunk; nil on the last one.
        public let next: String?
    }

    private struct Entry {
        var bytes: [UInt8]
        var offset: Int
        let format: String
        let uid: UInt32
        var touchedAt: UInt64
    }

    public let capacity: Int
    public let lifetimeMs: UInt64
    private let entries = Mutex<[String: Entry]>([:])

    public init(capacity: Int = 4, lifetimeMs: UInt64 = 300_000) {
        self.capacity = capacity
        self.lifetimeMs = lifetimeMs
    }

    /// Cuts `bytes` into chunks of `chunkBytes`: returns the first, and keeps the rest for
    /// `uid` under a fresh token when there is more.
    public func start(_ bytes: [UInt8], format: String, uid: UInt32, chunkBytes: Int, now: UInt64)
        throws(PendingExportError) -> Chunk
    {
        guard bytes.count > chunkBytes else {
            return Chunk(bytes: bytes[...], offset: 0, total: bytes.count, format: format,
                         next: nil)
        }
        let token = SecureRandom.token()
        try entries.withLock { (entries: inout [String: Entry]) throws(PendingExportError) in
            entries = entries.filter { now &- $0.value.touchedAt <= lifetimeMs }
            guard entries.count < capacity else { throw .tooMany(capacity) }
            entries[token] = Entry(
                bytes: bytes, offset: chunkBytes, format: format, uid: uid, touchedAt: now)
        }
        return Chunk(bytes: bytes[0..<chunkBytes], offset: 0, total: bytes.count,
                     format: format, next: token)
    }

    /// The next chunk of the export `token` names, for the uid that started it; the last
    /// chunk forgets the export.
    public func next(_ token: String, uid: UInt32, chunkBytes: Int, now: UInt64)
        throws(PendingExportError) -> Chunk
    {
        try entries.withLock {
            (entries: inout [String: Entry]) throws(PendingExportError) -> Chunk in
            guard var entry = entries[token], entry.uid == uid,
                now &- entry.touchedAt <= lifetimeMs
            else {
                entries[token] = nil
                throw .unknownToken
            }
            let start = entry.offset
            let end = min(entry.bytes.count, start + chunkBytes)
            let chunk = entry.bytes[start..<end]
            if end == entry.bytes.count {
                entries[token] = nil
                return Chunk(bytes: chunk, offset: start, total: entry.bytes.count,
                             format: entry.format, next: nil)
            }
            entry.offset = end
            entry.touchedAt = now
            entries[token] = entry
            return Chunk(bytes: chunk, offset: start, total: entry.bytes.count,
                         format: entry.format, next: token)
        }
    }

    /// Exports held now.
    public var count: Int { entries.withLock { $0.count } }
}

public enum PendingExportError: Error, CustomStringConvertible {
    case tooMany(Int)
    case unknownToken

    public var description: String {
        switch self {
        case .tooMany(let capacity):
            return "\(capacity) large exports are being fetched already; finish one first"
        case .unknownToken:
            return "no such export in progress (finished, expired or another user's)"
        }
    }
}
