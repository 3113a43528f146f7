import Crypto
import Synchronization

/// Recording exports too large for one admin-socket reply, held between the pieces that
/// `whootctl` fetches with the `continue` token of the one before.
///
/// An export takes a place first (`reserve`), before the recording is decrypted, mixed and
/// audited, so an export refused for want of room is never audited as made. `fill` then
/// hands out the first piece and keeps the rest; each continuation only hands out the next
/// slice. An entry belongs to the admin connection (and uid) that made it: it goes when
/// that connection closes (`connectionClosed`), when the connection starts another
/// export, `lifetimeMs` after its last piece was fetched, or when its recording is gone
/// (`forget`). At most `capacity` are held, so decrypted audio is not left lying in memory.
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

        /// An export that fits in one piece, held nowhere.
        public init(whole bytes: [UInt8], format: String) {
            self.init(bytes: bytes[...], offset: 0, total: bytes.count, format: format,
                      next: nil)
        }

        init(bytes: ArraySlice<UInt8>, offset: Int, total: Int, format: String, next: String?) {
            self.bytes = bytes
            self.offset = offset
            self.total = total
            self.format = format
            self.next = next
        }
    }

    /// What an export was made from: the caller checks it still exists before each piece.
    public struct Source: Sendable, Equatable {
        public let tenant: Int64
        public let recording: Int64

        public init(tenant: Int64, recording: Int64) {
            self.tenant = tenant
            self.recording = recording
        }
    }

    /// A place taken by `reserve`, to be filled or cancelled.
    public struct Reservation: Sendable {
        fileprivate let token: String
    }

    private struct Entry {
        /// Empty while only reserved.
        var bytes: [UInt8] = []
        var offset = 0
        var format = ""
        let uid: UInt32
        let connection: UInt64
        let source: Source
        var touchedAt: UInt64
    }

    public let capacity: Int
    public let lifetimeMs: UInt64
    private let entries = Mutex<[String: Entry]>([:])

    public init(capacity: Int = 4, lifetimeMs: UInt64 = 300_000) {
        self.capacity = capacity
        self.lifetimeMs = lifetimeMs
    }

    /// Takes a place for an export of `source` by `connection`, dropping the connection's
    /// earlier export (a connection fetches one at a time) and expired ones. Throws
    /// `.tooMany` when `capacity` places are taken.
    public func reserve(source: Source, uid: UInt32, connection: UInt64, now: UInt64)
        throws(PendingExportError) -> Reservation
    {
        let token = SecureRandom.token()
        try entries.withLock { (entries: inout [String: Entry]) throws(PendingExportError) in
            entries = entries.filter {
                $0.value.connection != connection && now &- $0.value.touchedAt <= lifetimeMs
            }
            guard entries.count < capacity else { throw .tooMany(capacity) }
            entries[token] = Entry(
                uid: uid, connection: connection, source: source, touchedAt: now)
        }
        return Reservation(token: token)
    }

    /// Gives up a place whose export could not be made.
    public func cancel(_ reservation: Reservation) {
        entries.withLock { $0[reservation.token] = nil }
    }

    /// Cuts the export into chunks of `chunkBytes`: returns the first, and keeps the rest
    /// under the reservation's token when there is more (else frees the place). Throws
    /// `.unknownToken` if the place went meanwhile (its connection closed).
    public func fill(
        _ reservation: Reservation, bytes: [UInt8], format: String, chunkBytes: Int,
        now: UInt64
    ) throws(PendingExportError) -> Chunk {
        let token = reservation.token
        return try entries.withLock {
            (entries: inout [String: Entry]) throws(PendingExportError) -> Chunk in
            guard var entry = entries[token] else { throw .unknownToken }
            guard bytes.count > chunkBytes else {
                entries[token] = nil
                return Chunk(bytes: bytes[...], offset: 0, total: bytes.count, format: format,
                             next: nil)
            }
            entry.bytes = bytes
            entry.offset = chunkBytes
            entry.format = format
            entry.touchedAt = now
            entries[token] = entry
            return Chunk(bytes: bytes[0..<chunkBytes], offset: 0, total: bytes.count,
                         format: format, next: token)
        }
    }

    /// The source of the export `token` names, if `connection` holds it.
    public func source(of token: String, connection: UInt64) -> Source? {
        entries.withLock { entries in
            entries[token].flatMap { $0.connection == connection ? $0.source : nil }
        }
    }

    /// The next chunk of the export `token` names, for the connection and uid that made
    /// it; the last chunk forgets the export. Anyone else is refused and the export stays.
    public func next(
        _ token: String, uid: UInt32, connection: UInt64, chunkBytes: Int, now: UInt64
    ) throws(PendingExportError) -> Chunk {
        try entries.withLock {
            (entries: inout [String: Entry]) throws(PendingExportError) -> Chunk in
            guard var entry = entries[token], entry.connection == connection,
                entry.uid == uid, !entry.bytes.isEmpty
            else { throw .unknownToken }
            guard now &- entry.touchedAt <= lifetimeMs else {
                entries[token] = nil
                throw .unknownToken
            }
            let start = entry.offset
            let end = min(entry.bytes.count, start + chunkBytes)
            let chunk = entry.bytes[start..<end]
            let total = entry.bytes.count
            if end == total {
                entries[token] = nil
                return Chunk(bytes: chunk, offset: start, total: total, format: entry.format,
                             next: nil)
            }
            entry.offset = end
            entry.touchedAt = now
            entries[token] = entry
            return Chunk(bytes: chunk, offset: start, total: total, format: entry.format,
                         next: token)
        }
    }

    /// Drops the export `token` names (its recording is gone).
    public func forget(_ token: String) {
        entries.withLock { $0[token] = nil }
    }

    /// Drops every export of a connection that closed.
    public func connectionClosed(_ connection: UInt64) {
        entries.withLock { entries in
            entries = entries.filter { $0.value.connection != connection }
        }
    }

    /// Exports held or reserved now.
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
            return "no such export in progress on this connection (finished, expired, "
                + "its recording deleted, or another connection's)"
        }
    }
}
