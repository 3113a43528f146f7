@testable import Control
import Testing

@Suite struct LoginThrottleTests {
    @Test func keyIsBlockedAtTheLimitUntilItsWindowEnds() {
        var throttle = LoginThrottle(limit: 3, windowMs: 60_000)
        for second in 0..<3 {
            #expect(throttle.retryAfter("acme/ann", now: Int64(second) * 1_000) == nil)
            throttle.recordFailure("acme/ann", now: Int64(second) * 1_000)
        }
        #expect(throttle.retryAfter("acme/ann", now: 10_000) == 50)
        #expect(throttle.retryAfter("acme/bo", now: 10_000) == nil)
        #expect(throttle.retryAfter("acme/ann", now: 60_000) == nil)

        throttle.recordFailure("acme/bo", now: 0)
        throttle.reset("acme/bo")
        throttle.prune(now: 120_000)
        #expect(throttle.retryAfter("acme/bo", now: 1) == nil)
    }

    @Test func takeCountsBeforeTheCheckAndGiveBackUndoesOne() {
        var throttle = LoginThrottle(limit: 2, windowMs: 60_000)
        #expect(throttle.take("m", now: 0) == nil)
        #expect(throttle.take("m", now: 0) == nil)
        #expect(throttle.take("m", now: 0) == 60, "two taken, none finished: blocked")
        throttle.giveBack("m", now: 1)
        #expect(throttle.take("m", now: 2) == nil)
    }
}

@Suite struct LoginThrottleCountTests {
    @Test func refusedAttemptsAreCountedButAllowedOnesAreNot() {
        let throttles = LoginThrottles()
        for second in 0..<5 {
            #expect(throttles.begin(account: "acme/ann", ip: "192.0.2.1",
                                    now: Int64(second) * 1_000) == nil)
        }
        #expect(throttles.refusalCount == 0)

        #expect(throttles.begin(account: "acme/ann", ip: nil, now: 6_000) != nil)
        #expect(throttles.begin(account: "acme/ann", ip: nil, now: 7_000) != nil)
        #expect(throttles.begin(account: "acme/bo", ip: nil, now: 7_000) == nil)
        #expect(throttles.refusalCount == 2)
    }

    @Test func attemptsStillBeingCheckedCountAgainstTheLimit() {
        // Five attempts begun side by side, none finished: the sixth is refused at once.
        let throttles = LoginThrottles()
        for _ in 0..<5 {
            #expect(throttles.begin(account: "acme/ann", ip: "192.0.2.1", now: 0) == nil)
        }
        #expect(throttles.begin(account: "acme/ann", ip: "192.0.2.9", now: 1) != nil)
    }

    @Test func aSuccessResetsTheAccountAndGivesTheAddressItsAttemptBack() {
        let throttles = LoginThrottles()
        for index in 0..<50 {
            let account = "acme/m\(index)"
            #expect(throttles.begin(account: account, ip: "192.0.2.1", now: 0) == nil)
            throttles.succeeded(account: account, ip: "192.0.2.1", now: 0)
        }
        #expect(throttles.begin(account: "acme/ann", ip: "192.0.2.1", now: 1) == nil)
        for _ in 0..<4 { _ = throttles.begin(account: "acme/ann", ip: "192.0.2.1", now: 1) }
        throttles.succeeded(account: "acme/ann", ip: "192.0.2.1", now: 2)
        #expect(throttles.begin(account: "acme/ann", ip: "192.0.2.1", now: 3) == nil)
    }
}
