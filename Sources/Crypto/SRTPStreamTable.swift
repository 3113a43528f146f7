/// What an `SRTPContext` remembers about one SSRC: the RTP index window (ROC and replay),
/// the inbound SRTCP replay window, and the last SRTCP index sent.
struct SRTPStream {
    let ssrc: UInt32
    var rtp = SRTPIndexWindow()
    var rtcpReceived = SRTCPIndexWindow()
    /// The SRTCP index of the last packet protected; the first one sent is 1, as libsrtp.
    var rtcpSent: UInt32 = 0

    init(ssrc: UInt32) { self.ssrc = ssrc }
}

/// The streams of one context in storage reserved at init, so adding and removing SSRCs
/// never allocates. A full table refuses new SSRCs (`SRTPError.streamLimit`) rather than
/// evicting one: evicting an outbound stream would restart its index at 0 and reuse
/// keystream, and evicting an inbound one would forget which packets were already seen.
struct SRTPStreamTable {
    let capacity: Int
    private var streams: [SRTPStream]

    init(capacity: Int) {
        self.capacity = capacity
        streams = []
        streams.reserveCapacity(capacity)
    }

    var isFull: Bool { streams.count >= capacity }

    /// The position of `ssrc`'s stream, found by a linear scan (at most `capacity`).
    func find(_ ssrc: UInt32) -> Int? {
        for position in streams.indices where streams[position].ssrc == ssrc {
            return position
        }
        return nil
    }

    /// Adds `stream` and returns its position, or nil when the table is full.
    mutating func insert(_ stream: SRTPStream) -> Int? {
        guard !isFull else { return nil }
        streams.append(stream)
        return streams.count - 1
    }

    mutating func remove(_ ssrc: UInt32) {
        guard let position = find(ssrc) else { return }
        streams.swapAt(position, streams.count - 1)
        streams.removeLast()
    }

    subscript(position: Int) -> SRTPStream { streams[position] }

    /// Runs `body` on the stream at `position` in place. (A `_modify` accessor would be a
    /// coroutine, whose frame debug builds allocate on the heap.)
    mutating func update<Result>(
        _ position: Int, _ body: (inout SRTPStream) throws(SRTPError) -> Result
    ) throws(SRTPError) -> Result {
        try body(&streams[position])
    }
}
