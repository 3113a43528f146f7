import CQRencode

/// A QR code symbol (ISO/IEC 18004) made with libqrencode, as a square of dark and light
/// modules, rendered as SVG for the web page or as text blocks for a terminal.
public struct QRCode: Sendable {
    /// Modules per side, without the quiet zone.
    public let size: Int
    /// Row-major, `size * size`; true is dark.
    private let modules: [Bool]
    /// Light modules around the symbol, as the standard asks (4).
    public static let quietZone = 4

    /// Encodes `text` as 8-bit bytes at error correction level M, in the smallest version
    /// that holds it.
    public init(encoding text: String) throws {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else {
            throw ControlError.badRequest("cannot make a QR code of \(text.utf8.count) bytes")
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
        size = width
        modules = data.map { $0 & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark; outside the symbol, light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// A standalone SVG document, `scale` pixels per module, with the quiet zone; dark
    /// modules are one path so the document stays small.
    public func svg(scale: Int = 6) -> String {
        let side = (size + 2 * Self.quietZone) * scale
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) {
                let left = (x + Self.quietZone) * scale
                let top = (y + Self.quietZone) * scale
                path += "M\(left) \(top)h\(scale)v\(scale)h-\(scale)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" \
            width="\(side)" height="\(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }

    /// Lines of half-block characters, two module rows per line, drawn black on white
    /// with ANSI colours so it scans on dark and light terminals alike.
    public func terminalText() -> String {
        let range = -Self.quietZone..<(size + Self.quietZone)
        var lines: [String] = []
        var y = range.lowerBound
        while y < range.upperBound {
            var line = "\u{1B}[30;47m"
            for x in range {
                switch (isDark(x: x, y: y), isDark(x: x, y: y + 1)) {
                case (true, true): line += "\u{2588}"
                case (true, false): line += "\u{2580}"
                case (false, true): line += "\u{2584}"
                case (false, false): line += " "
                }
            }
            lines.append(line + "\u{1B}[0m")
            y += 2
        }
        return lines.joined(separator: "\n")
    }
}
