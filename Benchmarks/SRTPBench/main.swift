import CAllocCounter
import Crypto
import TestKit

/// SRTPBench: nanoseconds per protect and per unprotect of one Opus RTP packet (12-byte
/// header, 100-byte payload), for both profiles, our `SRTPContext` against libsrtp, and the
/// heap allocations each makes per operation. One thread; a few seconds in all.
///
///     swift build -c release --product SRTPBench && .build/release/SRTPBench

/// Packets per measurement.
let operations = 100_000
/// Bytes per packet slot in the slab of pre-protected packets.
let slot = 160
let plain: [UInt8] = [0x80, 111, 0, 0, 0, 0, 0, 0, 0x5E, 0xED, 0xBE, 0xEF]
    + (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) }

/// One implementation under test, both directions, in place.
struct Implementation {
    let name: String
    let protect: (UnsafeMutableRawPointer, Int) throws -> Int
    let unprotect: (UnsafeMutableRawPointer, Int) throws -> Int
}

func ours(_ profile: SRTPProfile, key: [UInt8], salt: [UInt8]) throws -> Implementation {
    let outbound = try SRTPContext(
        profile: profile, key: Secret(key), salt: Secret(salt), direction: .outbound)
    let inbound = try SRTPContext(
        profile: profile, key: Secret(key), salt: Secret(salt), direction: .inbound)
    return Implementation(
        name: "whoot",
        protect: { try outbound.protectRTP($0, length: $1, capacity: slot) },
        unprotect: { try inbound.unprotectRTP($0, length: $1, capacity: slot) })
}

func libsrtp(_ profile: SRTPProfile, key: [UInt8], salt: [UInt8]) throws -> Implementation {
    let outbound = try LibSRTPReference(
        profile: profile, key: key, salt: salt, direction: .outbound)
    let inbound = try LibSRTPReference(profile: profile, key: key, salt: salt, direction: .inbound)
    return Implementation(
        name: "libsrtp",
        protect: { try outbound.protectRTP($0, length: $1) },
        unprotect: { try inbound.unprotectRTP($0, length: $1) })
}

/// Protects `operations` packets into `slab` (timed), then unprotects them (timed); the
/// first 1000 of each are counted for allocations instead, untimed.
func measure(_ implementation: Implementation, slab: UnsafeMutableRawPointer) throws
    -> (protectNs: Double, unprotectNs: Double, protectAllocs: Double, unprotectAllocs: Double)
{
    let counted = 1_000
    var lengths = [Int](repeating: 0, count: operations + counted)
    func fill(_ index: Int) -> UnsafeMutableRawPointer {
        let base = slab + index * slot
        plain.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: plain.count) }
        base.storeBytes(of: UInt16(truncatingIfNeeded: index).bigEndian, toByteOffset: 2,
                        as: UInt16.self)
        return base
    }

    whoot_alloc_counter_arm()
    for index in 0..<counted {
        lengths[index] = try implementation.protect(fill(index), plain.count)
    }
    let protectAllocs = Double(whoot_alloc_counter_disarm()) / Double(counted)
    let clock = ContinuousClock()
    let protectTime = try clock.measure {
        for index in counted..<(counted + operations) {
            lengths[index] = try implementation.protect(fill(index), plain.count)
        }
    }

    whoot_alloc_counter_arm()
    for index in 0..<counted {
        _ = try implementation.unprotect(slab + index * slot, lengths[index])
    }
    let unprotectAllocs = Double(whoot_alloc_counter_disarm()) / Double(counted)
    let unprotectTime = try clock.measure {
        for index in counted..<(counted + operations) {
            _ = try implementation.unprotect(slab + index * slot, lengths[index])
        }
    }
    // Copying the plaintext into its slot is part of the protect loop for both.
    return (nanoseconds(protectTime), nanoseconds(unprotectTime), protectAllocs, unprotectAllocs)
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(operations)
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    }
    return text
}

let slab = UnsafeMutableRawPointer.allocate(
    byteCount: (operations + 1_000) * slot, alignment: 16)
defer { slab.deallocate() }
print("SRTPBench: \(operations) packets of \(plain.count) bytes per cell, one thread")
print(pad("profile", 26) + pad("impl", 9) + pad("protect ns", 12) + pad("unprotect ns", 14)
      + pad("allocs/protect", 16) + "allocs/unprotect")
for profile in SRTPProfile.preferenceOrder {
    let key = (0..<profile.keyLength).map { UInt8($0 &* 11 &+ 5) }
    let salt = (0..<profile.saltLength).map { UInt8($0 &* 3 &+ 1) }
    for implementation in [try ours(profile, key: key, salt: salt),
                           try libsrtp(profile, key: key, salt: salt)] {
        let result = try measure(implementation, slab: slab)
        let name = profile == .aeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES128_CM_HMAC_SHA1_80"
        print(pad(name, 26) + pad(implementation.name, 9)
              + pad(fixed(result.protectNs, 1), 12) + pad(fixed(result.unprotectNs, 1), 14)
              + pad(fixed(result.protectAllocs, 2), 16) + fixed(result.unprotectAllocs, 2))
    }
}
if whoot_alloc_counter_available() == 0 { print("(allocation counter not available)") }
