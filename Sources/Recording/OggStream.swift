import COgg

/// One logical Ogg stream being written (RFC 3533), owning its libogg state. Packets go
/// in; each is flushed onto its own page so that every page's granule position is its
/// packet's end time, which keeps gaps and timing exact.
final class OggStreamWriter {
    let serial: Int32
    private let state: UnsafeMutablePointer<ogg_stream_state>
    private var packetNumber: Int64 = 0

    init(serial: Int32) {
        self.serial = serial
        state = .allocate(capacity: 1)
        ogg_stream_init(state, serial)
    }

    deinit {
        ogg_stream_clear(state)
        state.deallocate()
    }

    /// Adds one packet and returns the page(s) holding it. `granule` is the packet's end
    /// position in samples at 48 kHz (RFC 7845 4), 0 for header packets.
    func page(
        _ packet: UnsafeRawBufferPointer, granule: Int64, bos: Bool = false, eos: Bool = false,
        into out: inout [UInt8]
    ) {
        var op = ogg_packet()
        op.packet = UnsafeMutablePointer(
            mutating: packet.baseAddress?.assumingMemoryBound(to: UInt8.self))
        op.bytes = packet.count
        op.b_o_s = bos ? 1 : 0
        op.e_o_s = eos ? 1 : 0
        op.granulepos = granule
        op.packetno = packetNumber
        packetNumber += 1
        _ = ogg_stream_packetin(state, &op)

        var page = ogg_page()
        while ogg_stream_flush(state, &page) != 0 {
            out.append(
                contentsOf: UnsafeRawBufferPointer(start: page.header, count: page.header_len))
            out.append(contentsOf: UnsafeRawBufferPointer(start: page.body, count: page.body_len))
        }
    }
}

/// Splits an Ogg physical stream into its logical streams' packets, with each page's
/// granule position. Owns the libogg sync and stream states.
final class OggPacketReader {
    /// One packet of a logical stream; `pageGranule` is set on the last packet that
    /// completes on a page (RFC 3533 6), -1 on the others.
    struct Packet {
        var serial: Int32
        var bytes: [UInt8]
        var pageGranule: Int64
        var bos: Bool
    }

    private let sync: UnsafeMutablePointer<ogg_sync_state>
    private var streams: [Int32: UnsafeMutablePointer<ogg_stream_state>] = [:]

    init() {
        sync = .allocate(capacity: 1)
        ogg_sync_init(sync)
    }

    deinit {
        for state in streams.values {
            ogg_stream_clear(state)
            state.deallocate()
        }
        ogg_sync_clear(sync)
        sync.deallocate()
    }

    /// Every packet of `bytes`, in file order. Throws when a page's checksum fails or a
    /// page belongs to a stream that never began.
    func packets(of bytes: [UInt8]) throws -> [Packet] {
        if !bytes.isEmpty, let buffer = ogg_sync_buffer(sync, bytes.count) {
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawPointer(buffer).copyMemory(
                    from: source.baseAddress!, byteCount: bytes.count)
            }
            ogg_sync_wrote(sync, bytes.count)
        }
        var result: [Packet] = []
        var page = ogg_page()
        while true {
            let status = ogg_sync_pageout(sync, &page)
            if status == 0 { break }
            guard status > 0 else { throw RecordingError.corrupt("Ogg page out of sync") }
            let serial = Int32(ogg_page_serialno(&page))
            let bos = ogg_page_bos(&page) != 0
            if bos, streams[serial] == nil {
                let state = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
                ogg_stream_init(state, serial)
                streams[serial] = state
            }
            guard let state = streams[serial] else {
                throw RecordingError.corrupt("Ogg page of stream \(serial) before its start")
            }
            _ = ogg_stream_pagein(state, &page)
            var completed: [Packet] = []
            var op = ogg_packet()
            while ogg_stream_packetout(state, &op) == 1 {
                let data = Array(UnsafeRawBufferPointer(start: op.packet, count: op.bytes))
                completed.append(Packet(serial: serial, bytes: data, pageGranule: -1,
                                        bos: op.b_o_s != 0))
            }
            if !completed.isEmpty {
                completed[completed.count - 1].pageGranule = ogg_page_granulepos(&page)
            }
            result += completed
        }
        return result
    }
}
