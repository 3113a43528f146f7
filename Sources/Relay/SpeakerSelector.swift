/// Picks a channel's loudest current speakers from their RFC 6464 audio levels, sans-IO:
/// levels and `now` (ms, monotonic) go in, whether the ranking changed comes out.
///
/// Each speaker's loudness (127 minus the level in -dBov, so 0 is silence and higher is
/// louder, in dB) is smoothed exponentially per packet. The selector keeps a ranking of
/// at most `capacity` speakers, loudest first. Hysteresis keeps it from flapping:
/// - a speaker outside the ranking enters free room once it is above `floor`;
/// - it displaces the weakest ranked speaker only when it has been louder by `margin` dB
///   for `leadMs` without a break (at once if that speaker stopped sending) and that
///   speaker has held its place for `holdMs`;
/// - a ranked speaker overtakes the one ranked above it on the same terms (a listener
///   with fewer slots than the ranking sees an overtake as a change of speaker).
/// So a place changes hands at most once per `holdMs`, and only for a lead that lasted:
/// levels that swing, or a participant alternating loudest and silent, do not flip slots.
/// A speaker not heard for `staleMs` counts as silent.
///
/// Cost per packet: O(1) for a ranked speaker, O(capacity) for another one.
struct SpeakerSelector {
    struct Config {
        /// Weight of the newest level in the smoothed loudness, per packet (0...1).
        var smoothing: Double = 0.25
        /// Loudness (dB above silence) a speaker needs to enter the ranking at all.
        var floor: Double = 20
        /// How much louder (dB) a challenger must be to displace or overtake.
        var margin: Double = 3
        /// How long (ms) a speaker that took a place is safe from losing it.
        var holdMs: UInt64 = 400
        /// How long (ms) a challenger must stay louder by `margin`, without a break.
        var leadMs: UInt64 = 200
        /// After this long (ms) without a packet a speaker counts as silent.
        var staleMs: UInt64 = 300
    }

    /// What the selector knows about one speaker.
    struct Speaker {
        let id: UInt32
        var loudness: Double = 0
        var lastHeardAt: UInt64 = 0
        var rankedAt: UInt64 = 0
        /// When it took its current place in the ranking (entered or overtook).
        var placedAt: UInt64 = 0
        /// Since when it has been louder by the margin than the speaker it challenges
        /// (the one ranked above it, or the weakest ranked one); nil when it is not.
        var leadingSince: UInt64?
        var ranked = false
    }

    var config: Config
    /// How many speakers the ranking holds.
    var capacity: Int
    private(set) var speakers: [Speaker] = []
    /// Indices into `speakers`, loudest first.
    private(set) var rankingIndices: [Int] = []
    private var indexByID: [UInt32: Int] = [:]

    init(capacity: Int, config: Config = Config()) {
        self.capacity = capacity
        self.config = config
        rankingIndices.reserveCapacity(capacity)
    }

    /// The ranked speakers' ids, loudest first.
    var ranking: [UInt32] { rankingIndices.map { speakers[$0].id } }

    /// Smoothed loudness (dB above silence) of `id`, counting staleness, for tests and
    /// metrics.
    func loudness(of id: UInt32, now: UInt64) -> Double? {
        indexByID[id].map { effective(speakers[$0], now: now) }
    }

    /// Records one packet's level (RFC 6464: 0 loudest ... 127 silence, -dBov) from `id`.
    /// Returns true when the ranking changed.
    mutating func observe(_ id: UInt32, level: UInt8, now: UInt64) -> Bool {
        let index: Int
        if let known = indexByID[id] { index = known } else { index = add(id) }
        let sample = Double(127 - min(level, 127))
        speakers[index].loudness += config.smoothing * (sample - speakers[index].loudness)
        speakers[index].lastHeardAt = now

        if speakers[index].ranked { return overtake(index, now: now) }
        guard speakers[index].loudness >= config.floor else { return false }
        if rankingIndices.count < capacity {
            rank(index, now: now)
            return true
        }
        return displaceWeakest(by: index, now: now)
    }

    /// Forgets a speaker that left. Returns true when the ranking changed.
    mutating func remove(_ id: UInt32) -> Bool {
        guard let index = indexByID.removeValue(forKey: id) else { return false }
        let wasRanked = speakers[index].ranked
        rankingIndices.removeAll { $0 == index }
        let last = speakers.count - 1
        if index != last {
            speakers.swapAt(index, last)
            indexByID[speakers[index].id] = index
            for position in rankingIndices.indices where rankingIndices[position] == last {
                rankingIndices[position] = index
            }
        }
        speakers.removeLast()
        return wasRanked
    }

    private mutating func add(_ id: UInt32) -> Int {
        speakers.append(Speaker(id: id))
        indexByID[id] = speakers.count - 1
        return speakers.count - 1
    }

    private func effective(_ speaker: Speaker, now: UInt64) -> Double {
        now &- speaker.lastHeardAt > config.staleMs ? 0 : speaker.loudness
    }

    private mutating func rank(_ index: Int, now: UInt64) {
        speakers[index].ranked = true
        speakers[index].rankedAt = now
        speakers[index].placedAt = now
        rankingIndices.append(index)
        _ = bubbleUp(from: rankingIndices.count - 1, now: now)
    }

    /// A ranked speaker moves above its neighbour when louder by the margin and the
    /// neighbour has held its place for the hold time.
    private mutating func overtake(_ index: Int, now: UInt64) -> Bool {
        // A plain loop: generic algorithms are not specialized in debug builds and box.
        var position = 0
        while position < rankingIndices.count && rankingIndices[position] != index {
            position += 1
        }
        guard position < rankingIndices.count else { return false }
        return bubbleUp(from: position, now: now)
    }

    private mutating func bubbleUp(from start: Int, now: UInt64) -> Bool {
        var position = start
        while position > 0 {
            let above = rankingIndices[position - 1]
            let mine = rankingIndices[position]
            guard leads(mine, over: above, now: now),
                now &- speakers[above].placedAt >= config.holdMs
            else { break }
            speakers[mine].placedAt = now
            speakers[above].placedAt = now
            speakers[mine].leadingSince = nil
            rankingIndices.swapAt(position, position - 1)
            position -= 1
        }
        return position != start
    }

    /// Whether `challenger` is louder than `holder` by the margin and has been for
    /// `leadMs`; starts or ends its lead as it stands now.
    private mutating func leads(_ challenger: Int, over holder: Int, now: UInt64) -> Bool {
        guard effective(speakers[challenger], now: now)
            > effective(speakers[holder], now: now) + config.margin
        else {
            speakers[challenger].leadingSince = nil
            return false
        }
        // A holder that stopped sending altogether gives way at once: nothing to flap.
        if now &- speakers[holder].lastHeardAt > config.staleMs { return true }
        guard let since = speakers[challenger].leadingSince else {
            speakers[challenger].leadingSince = now
            return config.leadMs == 0
        }
        return now &- since >= config.leadMs
    }

    private mutating func displaceWeakest(by index: Int, now: UInt64) -> Bool {
        var weakest = -1
        var weakestLoudness = Double.infinity
        for (position, ranked) in rankingIndices.enumerated() {
            let loudness = effective(speakers[ranked], now: now)
            if loudness < weakestLoudness {
                weakest = position
                weakestLoudness = loudness
            }
        }
        guard weakest >= 0 else { return false }
        let victim = rankingIndices[weakest]
        guard leads(index, over: victim, now: now),
            now &- speakers[victim].placedAt >= config.holdMs
        else { return false }
        speakers[index].leadingSince = nil

        speakers[victim].ranked = false
        rankingIndices.remove(at: weakest)
        rank(index, now: now)
        return true
    }
}
