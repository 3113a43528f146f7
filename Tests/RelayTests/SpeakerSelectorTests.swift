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
}
