import Control
import Crypto
import Foundation
import FuzzSupport

/// An audit export as `whootctl audit verify` reads it: `CSVReader` over the bytes, then
/// `AuditExportVerifier.verify` with the public key of `fuzzSigner`. Each input is read
/// twice, whole and in small chunks (1 to 17 bytes, from the input's length), and both
/// readings must agree; every record the reader yields must survive
/// `AuditCSV.appendRow` and a second reading unchanged.
///
/// Seeds: `swift run FuzzAuditExport --write-seeds Tests/Fuzz/corpus/AuditExport`
/// (Seeds.swift) writes real exports signed by `fuzzSigner`.
if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
    exit(writeSeeds(to: CommandLine.arguments[2]))
}

let publicKey = try! fuzzSigner.publicKey

/// A reader handing out `bytes` in chunks of `size`.
func reader(_ bytes: [UInt8], chunk size: Int) -> CSVReader {
    var offset = 0
    return CSVReader {
        guard offset < bytes.count else { return nil }
        defer { offset += size }
        return Array(bytes[offset..<min(bytes.count, offset + size)])
    }
}

/// The report, or the CSV error, as text both readings can be compared by.
func verdict(_ bytes: [UInt8], chunk: Int) -> String {
    var csv = reader(bytes, chunk: chunk)
    do {
        return "\(try AuditExportVerifier.verify(&csv, publicKey: publicKey))"
    } catch let error as CSVError {
        return "\(error)"
    } catch {
        fatalError("the verifier threw something other than CSVError: \(error)")
    }
}

/// Every record of `bytes`, or nil at a syntax error.
func records(_ bytes: [UInt8]) -> [[String]]? {
    var csv = reader(bytes, chunk: max(1, bytes.count))
    var rows: [[String]] = []
    do {
        while let row = try csv.record() { rows.append(row) }
    } catch is CSVError {
        return nil
    } catch {
        fatalError("the reader threw something other than CSVError: \(error)")
    }
    return rows
}

FuzzDriver.run { input in
    let bytes = Array(input)
    let whole = verdict(bytes, chunk: max(1, bytes.count))
    let chunked = verdict(bytes, chunk: 1 + bytes.count % 17)
    precondition(whole == chunked, "chunking changed the verdict: \(whole) vs \(chunked)")

    guard let rows = records(bytes) else { return }
    var written: [UInt8] = []
    for row in rows { AuditCSV.appendRow(row.map(AuditCSV.restore), to: &written) }
    guard let again = records(written) else { fatalError("a written export does not parse") }
    precondition(again.map { $0.map(AuditCSV.restore) } == rows.map { $0.map(AuditCSV.restore) },
                 "records changed on the way through appendRow")
}
