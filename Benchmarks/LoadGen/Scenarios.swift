import Foundation

/// The scenarios of the benchmark, each run the same way on every relay.
enum Scenario {
    /// One channel: 3 speakers and `listeners` listeners, each hearing the 3 speakers.
    case bigChannel(listeners: Int)
    /// `channels` channels of 5, everyone speaking, each hearing 3 of the 4 others.
    case smallChannels(channels: Int)

    var name: String {
        switch self {
        case .bigChannel(let listeners): return "3 speakers + \(listeners) listeners"
        case .smallChannels(let channels): return "\(channels) channels x 5"
        }
    }
}

/// A relay started for one scenario, its cast, and its memory before anyone joined.
struct Stage {
    var relay: RelayUnderTest
    var cast: Cast
    var keeper: ConsentKeeper
    var rssBefore: UInt64
    var anonBefore: UInt64

    func tearDown() {
        keeper.stop()
        relay.stop()
    }
}

/// RFC 6464 level of member `m` of a channel of 5: member 0 loudest.
private func level(_ member: Int) -> UInt8 { UInt8(10 + 10 * member) }

/// Set-up threads: admission is mostly waiting on processes, HTTP and DTLS round trips.
private let setupWidth = 8

/// Starts whootd, creates the channels and admits everyone (WHIP, ICE, DTLS); stops whootd
/// again when that fails.
func stageWhootd(_ scenario: Scenario, recording: Bool, paths: (String, String)) throws
    -> Stage
{
    let whootd = try Whootd(whootd: paths.0, whootctl: paths.1)
    let keeper = ConsentKeeper()
    do {
        return try admitWhootd(scenario, whootd, keeper, recording: recording)
    } catch {
        keeper.stop()
        whootd.stop()
        throw error
    }
}

private func admitWhootd(
    _ scenario: Scenario, _ whootd: Whootd, _ keeper: ConsentKeeper, recording: Bool
) throws -> Stage {
    let stats = whootd.stats
    let (rss, anon) = (stats.residentBytes(), stats.anonymousBytes())
    switch scenario {
    case .bigChannel(let count):
        try whootd.ctl(["channel", "create", "--tenant", "demo", "--name", "big"])
        if recording { try enableRecording(whootd, channels: ["big"]) }
        let speakers = try (0..<3).map {
            try whootd.admit(channel: "big", name: "s\($0)", slots: 3)
        }
        keeper.add(speakers)
        let listeners = try parallelMap(count, width: setupWidth) { index in
            let listener = try whootd.admit(channel: "big", name: "l\(index)", slots: 3)
            keeper.add([listener])
            return listener
        }
        let cast = Cast(
            name: scenario.name, speakers: speakers.enumerated().map { ($1, level($0)) },
            listeners: listeners, participants: 3 + count, fanout: count)
        return Stage(relay: whootd, cast: cast, keeper: keeper, rssBefore: rss, anonBefore: anon)
    case .smallChannels(let channels):
        for channel in 0..<channels {
            try whootd.ctl(["channel", "create", "--tenant", "demo", "--name", "c\(channel)"])
            if recording { try enableRecording(whootd, channels: ["c\(channel)"]) }
        }
        let everyone = try parallelMap(channels * 5, width: setupWidth) { index in
            let member = try whootd.admit(
                channel: "c\(index / 5)", name: "c\(index / 5)m\(index % 5)", slots: 3)
            keeper.add([member])
            return member
        }
        let cast = Cast(
            name: scenario.name, speakers: everyone.enumerated().map { ($1, level($0 % 5)) },
            listeners: everyone, participants: everyone.count, fanout: 3)
        return Stage(relay: whootd, cast: cast, keeper: keeper, rssBefore: rss, anonBefore: anon)
    }
}

/// Janus sessions shared by the set-up threads, one thread per session at a time.
private final class SessionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [JanusSession]

    init(port: UInt16, count: Int) throws {
        idle = try (0..<count).map { _ in try JanusSession(port: port) }
    }

    func with<T>(_ body: (JanusSession) throws -> T) throws -> T {
        let session = lock.withLock { idle.removeLast() }
        defer { lock.withLock { idle.append(session) } }
        return try body(session)
    }
}

/// Starts Janus, creates the rooms and admits everyone: speakers publish, listeners
/// subscribe to the same feeds whootd would forward them. Stops Janus again when that fails.
func stageJanus(_ scenario: Scenario, instance: Int) throws -> Stage {
    let janus = try Janus(instance: instance)
    let keeper = ConsentKeeper()
    do {
        return try admitJanus(scenario, janus, keeper)
    } catch {
        keeper.stop()
        janus.stop()
        throw error
    }
}

private func admitJanus(_ scenario: Scenario, _ janus: Janus, _ keeper: ConsentKeeper) throws
    -> Stage
{
    let stats = janus.stats
    let (rss, anon) = (stats.residentBytes(), stats.anonymousBytes())
    let pool = try SessionPool(port: janus.httpPort, count: setupWidth)
    switch scenario {
    case .bigChannel(let count):
        try pool.with { try $0.createRoom(1, publishers: 3) }
        let published = try (0..<3).map { index in
            try pool.with { try $0.publish(room: 1, name: "s\(index)") }
        }
        keeper.add(published.map(\.0))
        let feeds = published.map(\.1)
        let listeners = try parallelMap(count, width: setupWidth) { _ in
            let listener = try pool.with { try $0.subscribe(room: 1, feeds: feeds) }
            keeper.add([listener])
            return listener
        }
        let cast = Cast(
            name: scenario.name, speakers: published.enumerated().map { ($1.0, level($0)) },
            listeners: listeners, participants: 3 + count, fanout: count)
        return Stage(relay: janus, cast: cast, keeper: keeper, rssBefore: rss, anonBefore: anon)
    case .smallChannels(let channels):
        for channel in 0..<channels {
            try pool.with { try $0.createRoom(channel + 1, publishers: 5) }
        }
        let published = try parallelMap(channels * 5, width: setupWidth) { index in
            let result = try pool.with {
                try $0.publish(room: index / 5 + 1, name: "c\(index / 5)m\(index % 5)")
            }
            keeper.add([result.0])
            return result
        }
        // Member m hears the 3 loudest others of its channel, as whootd's 3 slots would.
        let listeners = try parallelMap(channels * 5, width: setupWidth) { index in
            let first = index - index % 5
            let others = (0..<5).filter { $0 != index % 5 }.prefix(3)
            let feeds = others.map { published[first + $0].1 }
            let listener = try pool.with { try $0.subscribe(room: index / 5 + 1, feeds: feeds) }
            keeper.add([listener])
            return listener
        }
        let cast = Cast(
            name: scenario.name,
            speakers: published.enumerated().map { ($1.0, level($0 % 5)) },
            listeners: listeners, participants: channels * 5, fanout: 3)
        return Stage(relay: janus, cast: cast, keeper: keeper, rssBefore: rss, anonBefore: anon)
    }
}
