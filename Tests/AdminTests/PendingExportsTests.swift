import Admin
import Testing

/// Large recording exports over the admin socket: a place is taken before the export is
/// made, then the export is cut into pieces fetched one by one with the token of the
/// previous piece, on the connection that made it, for a while.
@Suite struct PendingExportsTests {
    let audio = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
    let source = PendingExports.Source(tenant: 1, recording: 9)

    /// Reserves and fills in one go, as the admin command does around the export.
    private func start(
        _ pending: PendingExports, connection: UInt64 = 1, uid: UInt32 = 7,
        chunkBytes: Int = 300, now: UInt64 = 0
    ) throws -> PendingExports.Chunk {
        let place = try pending.reserve(
            source: source, uid: uid, connection: connection, now: now)
        return try pending.fill(
            place, bytes: audio, format: "wav", chunkBytes: chunkBytes, now: now)
    }

    @Test func piecesFollowEachOtherAndTheLastForgetsTheExport() throws {
        let pending = PendingExports()
        var chunk = try start(pending)
        var joined = Array(chunk.bytes)
        var offsets = [chunk.offset]
        while let token = chunk.next {
            chunk = try pending.next(token, uid: 7, connection: 1, chunkBytes: 300, now: 10)
            joined += chunk.bytes
            offsets.append(chunk.offset)
        }
        #expect(joined == audio)
        #expect(offsets == [0, 300, 600, 900])
        #expect(chunk.total == 1000)
        #expect(pending.count == 0)
    }

    @Test func anExportThatFitsIsOnePieceAndHoldsNothing() throws {
        let pending = PendingExports()
        let chunk = try start(pending, chunkBytes: 1000)
        #expect(chunk.next == nil && Array(chunk.bytes) == audio)
        #expect(pending.count == 0)
    }

    @Test func anotherConnectionOrUserIsRefusedAndTheExportStays() throws {
        let pending = PendingExports()
        let token = try #require(try start(pending).next)
        #expect(throws: PendingExportError.self) {
            try pending.next(token, uid: 8, connection: 1, chunkBytes: 300, now: 1)
        }
        #expect(throws: PendingExportError.self) {
            try pending.next(token, uid: 7, connection: 2, chunkBytes: 300, now: 1)
        }
        #expect(pending.source(of: token, connection: 2) == nil)
        #expect(pending.source(of: token, connection: 1) == source)
        let owners = try pending.next(token, uid: 7, connection: 1, chunkBytes: 300, now: 2)
        #expect(owners.offset == 300)
    }

    @Test func aClosedConnectionFreesItsExportsAndAReservationAlike() throws {
        let pending = PendingExports(capacity: 2)
        let token = try #require(try start(pending, connection: 1).next)
        let place = try pending.reserve(source: source, uid: 7, connection: 2, now: 0)
        #expect(pending.count == 2)
        pending.connectionClosed(1)
        pending.connectionClosed(2)
        #expect(pending.count == 0)
        #expect(throws: PendingExportError.self) {
            try pending.next(token, uid: 7, connection: 1, chunkBytes: 300, now: 1)
        }
        #expect(throws: PendingExportError.self) {
            try pending.fill(place, bytes: audio, format: "wav", chunkBytes: 300, now: 1)
        }
    }

    @Test func aConnectionHoldsOneExportAtATime() throws {
        let pending = PendingExports(capacity: 2)
        let first = try #require(try start(pending, connection: 1).next)
        _ = try start(pending, connection: 1)
        _ = try start(pending, connection: 1)
        #expect(pending.count == 1)
        #expect(throws: PendingExportError.self) {
            try pending.next(first, uid: 7, connection: 1, chunkBytes: 300, now: 1)
        }
    }

    @Test func aReservationRefusedForWantOfRoomComesBeforeTheExport() throws {
        let pending = PendingExports(capacity: 2, lifetimeMs: 1000)
        _ = try start(pending, connection: 1)
        let place = try pending.reserve(source: source, uid: 7, connection: 2, now: 0)
        #expect(throws: PendingExportError.self) {
            try pending.reserve(source: source, uid: 7, connection: 3, now: 10)
        }
        pending.cancel(place)
        _ = try pending.reserve(source: source, uid: 7, connection: 3, now: 10)
        // Expired ones make room too.
        _ = try pending.reserve(source: source, uid: 7, connection: 4, now: 2000)
        #expect(pending.count == 1)
    }

    @Test func anExportLeftAloneExpiresAndAForgottenOneIsGone() throws {
        let pending = PendingExports(lifetimeMs: 1000)
        let stale = try #require(try start(pending, connection: 1).next)
        #expect(throws: PendingExportError.self) {
            try pending.next(stale, uid: 7, connection: 1, chunkBytes: 300, now: 1001)
        }
        #expect(pending.count == 0)
        let deleted = try #require(try start(pending, connection: 2).next)
        pending.forget(deleted)
        #expect(throws: PendingExportError.self) {
            try pending.next(deleted, uid: 7, connection: 2, chunkBytes: 300, now: 1)
        }
    }
}
