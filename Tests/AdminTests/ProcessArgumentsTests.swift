import Foundation
import Testing

@testable import Admin

@Suite struct ProcessArgumentsTests {
    @Test func aCmdlineImageSplitsAtEachNul() {
        let image = Data("whootd\0--state-dir\0/srv/whoot\0\0--https\0[::1]:8443\0".utf8)

        #expect(ProcessArguments.fromKernel(image)
            == ["whootd", "--state-dir", "/srv/whoot", "", "--https", "[::1]:8443"])
    }

    @Test func aMissingOrEmptyImageGivesNoArguments() {
        #expect(ProcessArguments.fromKernel(nil) == nil)
        #expect(ProcessArguments.fromKernel(Data()) == nil)
    }

    @Test func thisProcessHasItsProgramNameFirst() throws {
        let arguments = try #require(ProcessArguments.current())
        let kernel = try #require(ProcessArguments.fromKernel(
            FileManager.default.contents(atPath: "/proc/self/cmdline")))

        #expect(arguments == kernel)
    }
}
