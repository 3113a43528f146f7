import Foundation
import Testing

@testable import Admin

@Suite struct ProcessArgumentsTests {
    @Test func aCmdlineImageSplitsAtEachNul() throws {
        let image = Data("whootd\0--state-dir\0/srv/whoot\0\0--https\0[::1]:8443\0".utf8)

        #expect(try ProcessArguments.fromKernel(image)
            == ["whootd", "--state-dir", "/srv/whoot", "", "--https", "[::1]:8443"])
    }

    @Test func anArgumentThatIsNotUTF8IsRefusedNotReplaced() {
        let image = Data("whootd\0--state-dir\0/tmp/caf".utf8) + Data([0xE9, 0])

        let error = #expect(throws: ProcessArguments.Failure.self) {
            try ProcessArguments.fromKernel(image)
        }
        #expect(error?.description.contains("argument 2 is not UTF-8") == true)
        #expect(error?.description.contains("/tmp/caf\\xe9") == true,
                "\(String(describing: error))")
    }

    @Test func anEmptyImageIsRefused() {
        #expect(throws: ProcessArguments.Failure.self) { try ProcessArguments.fromKernel(Data()) }
    }

    @Test func thisProcessReadsWhatSwiftReads() throws {
        #expect(try ProcessArguments.current() == CommandLine.arguments)
    }
}

@Suite struct FilePathsTests {
    @Test func theDirectoryPartOfEveryKindOfPath() {
        #expect(FilePaths.directory(of: "a") == ".")
        #expect(FilePaths.directory(of: "ab") == ".")
        #expect(FilePaths.directory(of: "/a") == "/")
        #expect(FilePaths.directory(of: "d/a") == "d")
        #expect(FilePaths.directory(of: "/run/whoot/admin.sock") == "/run/whoot")
    }
}
