/// Path arithmetic done by hand: Foundation's `NSString.deletingLastPathComponent` traps
/// (SIGILL) on one-character names with this toolchain, so `--admin-socket a` or
/// `--out a` crashed whootd and whootctl.
public enum FilePaths {
    /// The directory part of `path`: "." for a bare name, "/" for a name in the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }
}
