import Control
import Crypto
import Foundation
import Store
import Testing

/// Exports edited to hold numbers at the ends of Int64's range: the verifier must report
/// them as problems rather than trap (inputs the AuditExport fuzz target was built for).
@Suite struct AuditExportEdgeTests {
    let key: Ed25519.PublicKey

    init() throws {
        key = try Ed25519.PrivateKey.generate().publicKey
    }

    /// One CSV row of `cells`, the header's 16 columns, with a self-consistent chain link.
    static func row(_ record: String, seq: String, atMs: String = "", time: String = "")
        -> [String]
    {
        let body = [UInt8](repeating: 0x11, count: 32)
        let prev = AuditChain.genesis
        let entry = AuditChain.entryHash(prevHash: prev, bodyHash: body)
        return [record, "1", seq, time, atMs, "", "", "", "", "", "",
                Hex.encode(body), Hex.encode(prev), Hex.encode(entry), "", ""]
    }

    static func export(_ rows: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        AuditCSV.appendRow(AuditCSV.header, to: &bytes)
        for row in rows { AuditCSV.appendRow(row, to: &bytes) }
        return bytes
    }

    @Test func aRowAfterOneAtTheLargestSeqIsReportedNotATrap() throws {
        let last = String(Int64.max)
        let bytes = Self.export([Self.row("link", seq: last), Self.row("link", seq: last)])
        let report = try verifyExport(bytes, key: key)
        #expect(report.problem?.seq == Int64.max)
        #expect(report.problem?.reason.contains("seq goes from") == true)
    }

    @Test func anEntryAtTheEarliestInt64TimeIsReportedNotATrap() throws {
        let bytes = Self.export([Self.row("entry", seq: "1", atMs: String(Int64.min))])
        let report = try verifyExport(bytes, key: key)
        #expect(report.problem?.reason == "time and at_ms disagree")
    }

    @Test func isoTimeFloorsNegativeTimesDownToInt64Min() {
        #expect(AuditCSV.isoTime(ms: -1) == "1969-12-31T23:59:59.999Z")
        #expect(AuditCSV.isoTime(ms: -1_000) == "1969-12-31T23:59:59.000Z")
        #expect(AuditCSV.isoTime(ms: Int64.min).hasSuffix(".192Z"))
        #expect(AuditCSV.isoTime(ms: Int64.min + 999).hasSuffix(".191Z"))
    }
}
