import Control
import Store
import Testing

/// Export filters read people's times strictly: an impossible time is an error, not an
/// empty export.
@Suite struct AuditFilterParseTests {
    @Test func validTimesAndDatesParse() throws {
        #expect(try AuditFilter.parseTime("2026-12-04T10:00:00Z", name: "from")
            == 1_796_378_400_000)
        #expect(try AuditFilter.parseTime("2026-12-04T10:00:00.250Z", name: "from")
            == 1_796_378_400_250)
        #expect(try AuditFilter.parseTime("2024-02-29", name: "from") == 1_709_164_800_000)
        #expect(try AuditFilter.parseTime("1796378400000", name: "from") == 1_796_378_400_000)
    }

    @Test func impossibleTimesAreRefused() {
        for text in ["2026-12-04T25:00:00Z", "2026-12-04T10:99:00Z", "2026-13-01",
                     "2025-02-29", "2026-04-31", "yesterday", ""] {
            #expect(throws: ControlError.self, "\(text)") {
                try AuditFilter.parseTime(text, name: "to")
            }
        }
    }

    @Test func aReversedRangeIsRefused() {
        #expect(throws: ControlError.self) {
            try AuditFilter.parse(
                from: "2026-12-05", to: "2026-12-04", actions: nil, actor: nil)
        }
    }
}
