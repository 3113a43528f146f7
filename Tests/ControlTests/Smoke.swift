import Testing

@Test func ControlTestsBuilds() { #expect(Bool(true)) }
