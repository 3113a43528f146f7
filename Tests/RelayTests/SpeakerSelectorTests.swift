import Testing

@testable import Relay

@Suite struct SpeakerSelectorTests {
    /// Feeds one round of packets (one per speaker, 20 ms apart) from `now`.
    private func round(
        _ selector: inout SpeakerSelector, _ levels: [UInt32: UInt8], order: [UInt32],
        now: UInt64
    ) {
        for id in order { _ = selector.observe(id, level: levels[id]!, now: now) }
    }

    @Test func ranksTheLoudestWhateverTheyStartedIn() {
        var selector = SpeakerSelector(capacity: 2)
        let levels: [UInt32: UInt8] = [1: 10, 2: 20, 3: 30, 4: 40]

        for tick in 0..<100 {
            round(&selector, levels, order: [4, 3, 2, 1], now: UInt64(tick) * 20)
        }

        #expect(selector.ranking == [1, 2])
    }

    @Test func aChallengerWithinTheMarginDoesNotDisplace() {
        var selector = SpeakerSelector(capacity: 2)
        // 3 is 2 dB louder than 2: inside the 3 dB margin.
        let levels: [UInt32: UInt8] = [1: 10, 2: 30, 3: 28]
        var changes = 0

        for tick in 0..<50 {
            _ = selector.observe(1, level: levels[1]!, now: UInt64(tick) * 20)
            _ = selector.observe(2, level: levels[2]!, now: UInt64(tick) * 20)
        }
        for tick in 50..<500 {
            for id: UInt32 in [1, 2, 3] {
                if selector.observe(id, level: levels[id]!, now: UInt64(tick) * 20) {
                    changes += 1
                }
            }
        }

        #expect(selector.ranking == [1, 2])
        #expect(changes == 0)
    }

    @Test func aNewlyRankedSpeakerIsHeldForTheHoldTime() {
        var selector = SpeakerSelector(capacity: 1)
        for tick in 0..<5 { _ = selector.observe(1, level: 60, now: 1000 + UInt64(tick) * 20) }
        #expect(selector.ranking == [1])

        // Much louder, but within 400 ms of 1 being ranked.
        for tick in 0..<10 { _ = selector.observe(2, level: 0, now: 1100 + UInt64(tick) * 20) }
        #expect(selector.ranking == [1])

        _ = selector.observe(2, level: 0, now: 1500)
        #expect(selector.ranking == [2])
    }

    @Test func aSilentSpeakerIsDisplacedByOneWhoSpeaks() {
        var selector = SpeakerSelector(capacity: 1)
        for tick in 0..<50 { _ = selector.observe(1, level: 10, now: UInt64(tick) * 20) }
        for tick in 50..<70 {
            _ = selector.observe(1, level: 127, now: UInt64(tick) * 20)
            _ = selector.observe(2, level: 40, now: UInt64(tick) * 20)
        }

        #expect(selector.ranking == [2])
    }

    @Test func aSpeakerThatStoppedSendingCountsAsSilent() {
        var selector = SpeakerSelector(capacity: 1)
        for tick in 0..<50 { _ = selector.observe(1, level: 10, now: UInt64(tick) * 20) }

        #expect(selector.loudness(of: 1, now: 1000)! > 100)
        #expect(selector.loudness(of: 1, now: 1000 + 301) == 0)
        _ = selector.observe(2, level: 60, now: 1400)
        _ = selector.observe(2, level: 60, now: 1420)
        #expect(selector.ranking == [2])
    }

    @Test func quietSpeakersBelowTheFloorAreNotRanked() {
        var selector = SpeakerSelector(capacity: 3)
        for tick in 0..<50 { _ = selector.observe(1, level: 120, now: UInt64(tick) * 20) }
        #expect(selector.ranking.isEmpty)
    }

    @Test func removingARankedSpeakerChangesTheRanking() {
        var selector = SpeakerSelector(capacity: 2)
        for tick in 0..<10 {
            _ = selector.observe(1, level: 10, now: UInt64(tick) * 20)
            _ = selector.observe(2, level: 20, now: UInt64(tick) * 20)
            _ = selector.observe(3, level: 90, now: UInt64(tick) * 20)
        }

        let removed = selector.remove(1)
        let removedAgain = selector.remove(1)

        #expect(removed)
        #expect(!removedAgain)
        #expect(selector.ranking == [2])
        _ = selector.observe(3, level: 20, now: 400)
        #expect(selector.ranking == [2, 3])
    }

    /// The top place changes hands at most once per hold time in simulated time, and a
    /// louder newcomer still takes it once the hold is over.
    @Test func anOvertakeWaitsForTheHoldTimeToo() {
        var selector = SpeakerSelector(capacity: 2)
        for tick in 0..<10 {
            round(&selector, [1: 30, 2: 50], order: [1, 2], now: UInt64(tick) * 20)
        }
        #expect(selector.ranking == [1, 2])
        // 2 becomes much louder at 1000 ms; 1 has held first place since 0 ms, so 2 takes
        // it once its lead has lasted 200 ms.
        for tick in 50..<62 {
            round(&selector, [1: 50, 2: 10], order: [1, 2], now: UInt64(tick) * 20)
        }
        #expect(selector.ranking == [2, 1])
        // 1 is loud again at once: 2 holds first place until 400 ms after taking it.
        var regained: UInt64?
        for tick in 62..<120 {
            let now = UInt64(tick) * 20
            round(&selector, [1: 0, 2: 60], order: [1, 2], now: now)
            if regained == nil && selector.ranking.first == 1 { regained = now }
        }
        let taken = try! #require(regained)
        #expect(taken >= 1200 + 400)
    }

    /// Two speakers of the same loudness whose levels swing +-15 dB per packet, and a
    /// participant alternating loudest and silent: over 3 s of audio (simulated time, 20 ms
    /// a packet) the first place changes hands a few times at most.
    @Test func swingingLevelsDoNotFlapTheRanking() {
        var seed: UInt32 = 12345
        func swinging() -> UInt8 {
            seed = seed &* 1_103_515_245 &+ 12345
            return UInt8(20 + (seed >> 16) % 31)
        }
        var similar = SpeakerSelector(capacity: 2)
        var hostile = SpeakerSelector(capacity: 2)
        var similarChanges = 0
        var hostileChanges = 0
        var lastSimilar: UInt32?
        var lastHostile: UInt32?
        for tick in 0..<150 {
            let now = UInt64(tick) * 20
            round(&similar, [1: swinging(), 2: swinging()], order: [1, 2], now: now)
            round(&hostile, [1: 63, 2: tick % 2 == 0 ? 127 : 0], order: [1, 2], now: now)
            if let top = similar.ranking.first, top != lastSimilar {
                if lastSimilar != nil { similarChanges += 1 }
                lastSimilar = top
            }
            if let top = hostile.ranking.first, top != lastHostile {
                if lastHostile != nil { hostileChanges += 1 }
                lastHostile = top
            }
        }
        #expect(similarChanges <= 4, "first place changed \(similarChanges) times in 3 s")
        #expect(hostileChanges <= 4, "first place changed \(hostileChanges) times in 3 s")
    }
}
