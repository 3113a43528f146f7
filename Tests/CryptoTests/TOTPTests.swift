import Crypto
import Testing

/// A clock the test moves by hand, in Unix ms.
struct ManualClock {
    var nowMs: Int64
    mutating func advance(seconds: Int64) { nowMs += seconds * 1_000 }
}

@Suite struct TOTPTests {
    static func seed(_ length: Int) -> Secret<[UInt8]> {
        let pattern = Array("1234567890".utf8)
        return Secret((0..<length).map { pattern[$0 % pattern.count] })
    }

    static let sha1 = TOTP(secret: seed(20), algorithm: .sha1, digits: 8)
    static let sha256 = TOTP(secret: seed(32), algorithm: .sha256, digits: 8)
    static let sha512 = TOTP(secret: seed(64), algorithm: .sha512, digits: 8)

    @Test func rfc6238AppendixBVectorsMatchForAllThreeHashes() {
        for vector in rfc6238AppendixB {
            let clock = ManualClock(nowMs: vector.seconds * 1_000)

            #expect(Self.sha1.code(at: clock.nowMs) == vector.sha1, "SHA1 at \(vector.seconds)")
            #expect(Self.sha256.code(at: clock.nowMs) == vector.sha256, "SHA256 \(vector.seconds)")
            #expect(Self.sha512.code(at: clock.nowMs) == vector.sha512, "SHA512 \(vector.seconds)")
        }
    }

    @Test func sixDigitCodesAreTheLastSixOfTheEightDigitOnes() {
        let six = TOTP(secret: Self.seed(20))
        for vector in rfc6238AppendixB {
            #expect(six.code(at: vector.seconds * 1_000) == String(vector.sha1.suffix(6)))
        }
    }

    @Test func oneStepOfSkewIsAcceptedEitherWayButNotTwo() {
        let totp = TOTP(secret: Self.seed(20))
        var clock = ManualClock(nowMs: 1_700_000_000_000)
        let step = totp.step(at: clock.nowMs)
        let code = totp.code(step: step)

        clock.advance(seconds: 30)
        #expect(totp.verify(code, at: clock.nowMs, lastUsedStep: nil) == step)
        clock.advance(seconds: -60)
        #expect(totp.verify(code, at: clock.nowMs, lastUsedStep: nil) == step)
        clock.advance(seconds: 90)
        #expect(totp.verify(code, at: clock.nowMs, lastUsedStep: nil) == nil)
        clock.advance(seconds: -120)
        #expect(totp.verify(code, at: clock.nowMs, lastUsedStep: nil) == nil)
    }

    @Test func aCodeOfAStepAlreadyUsedIsRefused() {
        let totp = TOTP(secret: Self.seed(20))
        let clock = ManualClock(nowMs: 1_700_000_000_000)
        let code = totp.code(at: clock.nowMs)

        let step = totp.verify(code, at: clock.nowMs, lastUsedStep: nil)
        #expect(step != nil)
        #expect(totp.verify(code, at: clock.nowMs, lastUsedStep: step) == nil)
        let next = totp.code(step: step! + 1)
        #expect(totp.verify(next, at: clock.nowMs, lastUsedStep: step) == step! + 1)
    }

    @Test func malformedCodesAreRefused() {
        let totp = TOTP(secret: Self.seed(20))
        let now: Int64 = 1_700_000_000_000
        let good = totp.code(at: now)

        for bad in ["", "12345", "1234567", "12a456", " " + good.dropFirst(), good + " ",
                    "١٢٣٤٥٦", "-12345"] {
            #expect(!totp.isWellFormed(bad), "\(bad) counted as well formed")
            #expect(totp.verify(bad, at: now, lastUsedStep: nil) == nil)
        }
    }

    @Test func base32RoundTripsAndMatchesRFC4648Vectors() {
        let vectors = [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"),
                       ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased() + "===") == Array(plain.utf8))
        }
        #expect(Base32.decode("MZ1W") == nil)
    }
}

@Suite struct SecretBoxTests {
    let box = try! SecretBox(key: Secret(SecureRandom.bytes(32)))
    let place = Array("tenant:1 member:2".utf8)

    @Test func sealedSecretOpensWithTheSameKeyAndPlace() throws {
        let secret = SecureRandom.bytes(20)
        let sealed = try box.seal(Secret(secret), associatedData: place)

        #expect(sealed.count == 12 + 20 + 16)
        #expect(!sealed.indices.dropLast(19).contains { Array(sealed[$0..<$0 + 20]) == secret })
        #expect(try box.open(sealed, associatedData: place).reveal == secret)
    }

    @Test func alteredOrMovedOrForeignBoxesDoNotOpen() throws {
        let sealed = try box.seal(Secret(SecureRandom.bytes(20)), associatedData: place)
        var flipped = sealed
        flipped[14] ^= 1
        let other = try SecretBox(key: Secret(SecureRandom.bytes(32)))

        #expect(throws: CryptoError.self) { try box.open(flipped, associatedData: place) }
        #expect(throws: CryptoError.self) {
            try box.open(sealed, associatedData: Array("tenant:1 member:3".utf8))
        }
        #expect(throws: CryptoError.self) { try other.open(sealed, associatedData: place) }
        #expect(throws: CryptoError.self) {
            try box.open(Array(sealed.prefix(20)), associatedData: place)
        }
    }

    @Test func keysOfTheWrongLengthAreRefused() {
        #expect(throws: CryptoError.self) { try SecretBox(key: Secret(SecureRandom.bytes(16))) }
    }
}
