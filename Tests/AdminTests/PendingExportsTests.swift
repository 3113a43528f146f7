import Admin
import Testing

/// Large recording exports over the admin socket: cut into pieces fetched one by one
/// with the token of the previous piece, by the uid that started them, for a while.
@Suite struct PendingExportsTests {
    let audio = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }

    @Test func piecesFollowEachOtherAndTheLastForgetsTheExport() throws {
        let pending = PendingExports()
        var chunk = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 0)
        var joined = Array(chunk.bytes)
        var offsets = [chunk.offset]
        while let token = chunk.next {
            chunk = try pending.next(token, uid: 7, chunkBytes: 300, now: 10)
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
        let chunk = try pending.start(audio, format: "ogg", uid: 7, chunkBytes: 1000, now: 0)
        #expect(chunk.next == nil && Array(chunk.bytes) == audio)
        #expect(pending.count == 0)
    }

    @Test func anotherUserCannotContinueAndTheTokenIsThenGone() throws {
        let pending = PendingExports()
        let first = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 0)
        let token = try #require(first.next)
        #expect(throws: PendingExportError.self) {
            try pending.next(token, uid: 8, chunkBytes: 300, now: 1)
        }
        #expect(throws: PendingExportError.self) {
            try pending.next(token, uid: 7, chunkBytes: 300, now: 2)
        }
    }

    @Test func anExportLeftAloneExpires() throws {
        let pending = PendingExports(lifetimeMs: 1000)
        let first = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 0)
        #expect(throws: PendingExportError.self) {
            try pending.next(try #require(first.next), uid: 7, chunkBytes: 300, now: 1001)
        }
        #expect(pending.count == 0)
    }

    @Test func atMostCapacityExportsAreHeld() throws {
        let pending = PendingExports(capacity: 2, lifetimeMs: 1000)
        _ = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 0)
        _ = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 0)
        #expect(throws: PendingExportError.self) {
            try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 10)
        }
        // Expired ones make room.
        let later = try pending.start(audio, format: "wav", uid: 7, chunkBytes: 300, now: 2000)
        #expect(later.next != nil)
        #expect(pending.count == 1)
    }
}
