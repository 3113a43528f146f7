/// libogg drops any page whose CRC-32 does not match, so a mutated page rarely gets past
/// the sync layer. The target also runs each input with every page's checksum rewritten,
/// so that mutations of page headers, lacing values and packets reach the demuxer and
/// the Opus decoder.
func withOggChecksums(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    var at = 0
    while at + 27 <= out.count {
        guard out[at] == 0x4F, out[at + 1] == 0x67, out[at + 2] == 0x67, out[at + 3] == 0x53
        else {
            at += 1
            continue
        }
        let segments = Int(out[at + 26])
        guard at + 27 + segments <= out.count else { break }
        let bodyBytes = out[(at + 27)..<(at + 27 + segments)].reduce(0) { $0 + Int($1) }
        let end = min(out.count, at + 27 + segments + bodyBytes)
        for index in (at + 22)..<(at + 26) { out[index] = 0 }
        let crc = oggCRC(out[at..<end])
        for index in 0..<4 { out[at + 22 + index] = UInt8((crc >> (8 * UInt32(index))) & 0xff) }
        at = end
    }
    return out
}

/// Ogg's CRC-32: polynomial 0x04C11DB7, most significant bit first, initial value 0, no
/// final XOR (RFC 3533 6).
private func oggCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0
    for byte in bytes { crc = (crc << 8) ^ oggCRCTable[Int((crc >> 24) ^ UInt32(byte))] }
    return crc
}

private let oggCRCTable: [UInt32] = (0..<256).map { index in
    var value = UInt32(index) << 24
    for _ in 0..<8 {
        value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04C1_1DB7 : value << 1
    }
    return value
}
