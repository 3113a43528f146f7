import Control
import Crypto
import Foundation
import Store
import Testing
import Wire

@Suite struct AuditExportTests {
    let fixture: Fixture
    let control: ControlPlane
    let key: Ed25519.PublicKey
    let tenant: TenantID

    init() throws {
        fixture = try Fixture()
        control = fixture.control
        key = try fixture.sealAudit(every: 3)
        tenant = try control.createTenant(slug: "acme", name: "Acme", actor: .system)
        for index in 0..<10 {
            fixture.nowMs += 1_000
            try control.recordAuditEvent(
                tenant: tenant, actor: index % 2 == 0 ? .system : .localUser(7),
                action: index % 3 == 0 ? .settingsChange : .recordingAccess,
                target: ["=HYPERLINK(\"http://x\")", "+1", "-2", "@sum", "\tx", "\rx",
                         "'quoted", "plain, with comma", "line\nbreak", "ünïcode"][index],
                metadata: ["index": index])
        }
    }

    func entries(_ bytes: [UInt8]) throws -> [[String]] {
        try csvRows(bytes).dropFirst().filter { $0[0] == "entry" }
    }

    @Test func unfilteredExportHoldsEveryEntryItsOwnEventAndVerifiesOffline() throws {
        let bytes = try fixture.export(tenant)
        let rows = try entries(bytes)
        #expect(rows.map { Int64($0[2]) } == Array(1...12).map { Int64($0) })
        #expect(rows.last?[6] == "audit.export")
        let report = try verifyExport(bytes, key: key)
        #expect(report.ok, "\(String(describing: report.problem))")
        #expect(report.entries == 12 && report.links == 0 && report.checkpoints >= 1)
    }

    @Test func eachFilterSelectsExactlyTheMatchingEntriesAndStillVerifies() throws {
        let log = try fixture.auditLog(tenant)
        let start = log[3].entry.atMs
        let end = log[7].entry.atMs
        let filters: [AuditFilter] = [
            AuditFilter(fromMs: start, toMs: end),
            AuditFilter(actions: ["settings.change"]),
            AuditFilter(actions: ["settings.change", "tenant.create"]),
            AuditFilter(actor: "uid:7"),
            AuditFilter(fromMs: start, actions: ["recording.access"], actor: "system"),
        ]
        for filter in filters {
            let expected = try fixture.auditLog(tenant).filter { filter.matches($0.entry) }
                .map { String($0.seq) }
            let bytes = try fixture.export(tenant, filter)
            #expect(try entries(bytes).map { $0[2] } == expected, "\(filter)")
            let report = try verifyExport(bytes, key: key)
            #expect(report.ok, "\(filter): \(String(describing: report.problem))")
            #expect(report.entries == Int64(expected.count))
        }
    }

    @Test func formulaCellsAreNeutralizedAndTheVerifierRestoresThem() throws {
        let bytes = try fixture.export(tenant, AuditFilter(actions: ["settings.change",
                                                                      "recording.access"]))
        let raw = try csvRows(bytes).dropFirst().filter { $0[0] == "entry" }.map { $0[7] }
        #expect(raw.prefix(7) == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@sum", "'\tx",
                                  "'\rx", "''quoted"])
        for cell in raw {
            let first = cell.unicodeScalars.first.map(Character.init)
            #expect(!["=", "+", "-", "@", "\t", "\r"].contains(first))
        }
        #expect(raw.map(AuditCSV.restore).suffix(3)
            == ["plain, with comma", "line\nbreak", "ünïcode"])
        #expect(try verifyExport(bytes, key: key).ok)
    }

    @Test func alteredReorderedOrTruncatedExportIsRefusedAtTheRightRow() throws {
        let text = String(decoding: try fixture.export(tenant), as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let index = try #require(lines.firstIndex { $0.hasPrefix("entry,\(tenant.rawValue),5,") })

        var altered = lines
        altered[index] = altered[index].replacingOccurrences(of: ",uid:7,", with: ",system,")
        #expect(try verifyExport(Array(altered.joined(separator: "\r\n").utf8), key: key)
            .problem?.seq == 5)

        var swapped = lines
        swapped.swapAt(index, index + 1)
        #expect(try verifyExport(Array(swapped.joined(separator: "\r\n").utf8), key: key)
            .problem?.seq == 5)

        lines.removeLast(3)
        let truncated = try verifyExport(Array(lines.joined(separator: "\r\n").utf8), key: key)
        #expect(truncated.problem?.reason.contains("without a signed checkpoint") == true)
    }

    @Test func exportIsRefusedWithoutASigningKeyAndCallersNeedReadAudit() throws {
        let unsealed = try fixture.open()
        #expect(throws: ControlError.self) {
            try unsealed.exportAudit(tenant: tenant, filter: AuditFilter(), actor: .system) { _ in }
        }
    }

    @Test func isoTimesAreUTCWithMilliseconds() {
        #expect(AuditCSV.isoTime(ms: 0) == "1970-01-01T00:00:00.000Z")
        #expect(AuditCSV.isoTime(ms: 1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
        #expect(AuditCSV.isoTime(ms: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
    }
}
