import CLinux
import Glibc

/// Who may use the admin socket: root, the daemon's own user, and members (primary or
/// supplementary) of an optional admin group.
struct PeerPolicy {
    let daemonUID: UInt32
    let adminGroup: UInt32?

    func allows(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == daemonUID { return true }
        guard let group = adminGroup else { return false }
        return peer.gid == group || Self.supplementaryGroups(of: peer.uid).contains(group)
    }

    /// The peer's credentials from the kernel.
    static func credentials(of fd: Int32) throws -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        try Posix.call("getsockopt(SO_PEERCRED)", "admin peer credentials") {
            whoot_peer_cred(fd, &pid, &uid, &gid)
        }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    /// The groups of the user with `uid`, from the user and group databases.
    static func supplementaryGroups(of uid: UInt32) -> [UInt32] {
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &record, &buffer, buffer.count, &result) == 0, result != nil,
            let name = record.pw_name
        else { return [] }

        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, record.pw_gid, &groups, &count) == -1 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, record.pw_gid, &groups, &count) != -1 else { return [] }
        }
        return Array(groups.prefix(Int(count)))
    }
}
