import Wire

/// A channel's live sessions: the unit of forwarding. Keyed by tenant and channel
/// together, so that two tenants' channels can never meet.
struct RoomKey: Hashable, Sendable {
    let tenant: TenantID
    let channel: ChannelID
}

/// One channel on its owning worker: its members, the speaker ranking, and the mapping
/// of ranked speakers onto each listener's slots.
///
/// Each listener with k slots receives the first k ranked speakers other than itself.
/// A speaker that stays among them keeps its slot; a newcomer takes a slot that was freed,
/// and the slot's next packet is rebased (`OutgoingSlot.assign`) so its stream stays
/// continuous. The mapping is recomputed only when the ranking changes, at a cost of
/// listeners x K; per packet a speaker walks its own `targets`.
///
/// Thread use: the owning worker only.
final class Room {
    let key: RoomKey
    private(set) var members: [MediaSession] = []
    private var byNumber: [UInt32: MediaSession] = [:]
    var selector: SpeakerSelector
    /// The recording tap of this channel, when recording is on: every decrypted frame of
    /// every speaker goes in, whether or not it is among the loudest.
    var tap: MediaTap?
    /// Mapping rebuilds so far (ranking changes and membership changes).
    private(set) var remaps = 0

    init(key: RoomKey, config: SpeakerSelector.Config = .init()) {
        self.key = key
        selector = SpeakerSelector(capacity: 1, config: config)
    }

    var isEmpty: Bool { members.isEmpty }

    func add(_ session: MediaSession) {
        members.append(session)
        byNumber[session.number] = session
        // Room for the loudest K others of the listener with the most slots, plus itself.
        let most = members.map(\.slots.count).max() ?? 0
        selector.capacity = max(selector.capacity, most + 1)
        remap()
    }

    func remove(_ session: MediaSession) {
        members.removeAll { $0 === session }
        byNumber[session.number] = nil
        _ = selector.remove(session.number)
        remap()
    }

    /// Feeds one packet's audio level to the ranking; remaps when it changed.
    @inline(__always)
    func observe(_ speaker: MediaSession, level: UInt8, now: UInt64) {
        if selector.observe(speaker.number, level: level, now: now) { remap() }
    }

    /// Rebuilds every listener's slot mapping and every speaker's targets from the
    /// current ranking.
    func remap() {
        remaps += 1
        let ranking = selector.ranking
        for member in members { member.targets.removeAll(keepingCapacity: true) }

        for listener in members {
            let wanted = Array(ranking.lazy.filter { $0 != listener.number }
                .prefix(listener.slots.count))
            for index in listener.slots.indices {
                if let speaker = listener.slots[index].speaker, !wanted.contains(speaker) {
                    listener.slots[index].speaker = nil
                }
            }
            for speaker in wanted where !listener.slots.contains(where: { $0.speaker == speaker }) {
                guard let free = listener.slots.firstIndex(where: { $0.speaker == nil })
                else { break }
                listener.slots[free].speaker = speaker
                listener.slots[free].needsRebase = true
            }
            for index in listener.slots.indices {
                guard let speaker = listener.slots[index].speaker,
                    let source = byNumber[speaker]
                else { continue }
                source.targets.append(MediaSession.Target(listener: listener, slot: index))
            }
        }
    }
}
