/// Who the command runs as inside the container.
public struct ContainerUser: Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (from the rootfs's /etc/group), primary included.
    public var groups: [UInt32]
    /// The home folder from /etc/passwd, for $HOME.
    public var home: String

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], home: String = "/") {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.home = home
    }

    public static let root = ContainerUser(uid: 0, gid: 0, groups: [0], home: "/root")

    /// Resolves `-u USER[:GROUP]` (names or numbers) against the text of the
    /// rootfs's /etc/passwd and /etc/group, as Docker does: a name must be
    /// there, a number need not be.
    public static func resolve(_ spec: String, passwd: String, group: String) throws -> ContainerUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : nil
        guard !userPart.isEmpty, groupPart?.isEmpty != true else {
            throw SandboxError.invalidOption("invalid user \"\(spec)\": expected USER[:GROUP]")
        }
        let users = PasswdEntry.parse(passwd)
        var user: ContainerUser
        if let uid = UInt32(userPart) {
            if let entry = users.first(where: { $0.uid == uid }) {
                user = ContainerUser(uid: uid, gid: entry.gid, home: entry.home)
            } else {
                user = ContainerUser(uid: uid, gid: 0, home: "/")
            }
        } else if let entry = users.first(where: { $0.name == userPart }) {
            user = ContainerUser(uid: entry.uid, gid: entry.gid, home: entry.home)
        } else {
            throw SandboxError.invalidOption("unable to find user \(userPart): no matching entries in passwd file")
        }
        let groups = GroupEntry.parse(group)
        if let groupPart {
            if let gid = UInt32(groupPart) {
                user.gid = gid
            } else if let entry = groups.first(where: { $0.name == groupPart }) {
                user.gid = entry.gid
            } else {
                throw SandboxError.invalidOption("unable to find group \(groupPart): no matching entries in group file")
            }
        }
        // Supplementary groups: where the user's name is listed as a member.
        let name = users.first(where: { $0.uid == user.uid })?.name
        var ids = [user.gid]
        if groupPart == nil, let name {
            for g in groups where g.members.contains(name) && !ids.contains(g.gid) { ids.append(g.gid) }
        }
        user.groups = ids
        return user
    }
}

/// A line of /etc/passwd. Malformed lines are skipped.
struct PasswdEntry: Equatable {
    var name: String
    var uid: UInt32
    var gid: UInt32
    var home: String

    static func parse(_ text: String) -> [PasswdEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 6, !f[0].isEmpty, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return PasswdEntry(name: String(f[0]), uid: uid, gid: gid, home: f[5].isEmpty ? "/" : String(f[5]))
        }
    }
}

/// A line of /etc/group. Malformed lines are skipped.
struct GroupEntry: Equatable {
    var name: String
    var gid: UInt32
    var members: [String]

    static func parse(_ text: String) -> [GroupEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, !f[0].isEmpty, let gid = UInt32(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: String(f[0]), gid: gid, members: members)
        }
    }
}
