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
}

@Suite struct LoginThrottleCountTests {
    @Test func refusedAttemptsAreCountedButAllowedOnesAreNot() {
        let throttles = LoginThrottles()
        for second in 0..<5 {
            #expect(throttles.retryAfter(account: "acme/ann", ip: "192.0.2.1",
                                         now: Int64(second) * 1_000) == nil)
            throttles.failed(account: "acme/ann", ip: "192.0.2.1", now: Int64(second) * 1_000)
        }
        #expect(throttles.refusalCount == 0)

        #expect(throttles.retryAfter(account: "acme/ann", ip: nil, now: 6_000) != nil)
        #expect(throttles.retryAfter(account: "acme/ann", ip: nil, now: 7_000) != nil)
        #expect(throttles.retryAfter(account: "acme/bo", ip: nil, now: 7_000) == nil)
        #expect(throttles.refusalCount == 2)
    }
}
