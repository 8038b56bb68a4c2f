import Foundation

/// `--chown=user[:group]` resolved as Docker does: numbers as they are,
/// names looked up in the stage's own /etc/passwd and /etc/group, and a
/// missing group taking the user's numeric id.
public enum ChownSpec {
    public static func resolve(_ spec: String, in tree: FileTree) throws -> Ownership {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else {
            throw BuildError("invalid --chown=\(spec): expected user[:group]")
        }
        let uid = try id(userPart, file: "/etc/passwd", in: tree)
        let gid = parts.count > 1 && !parts[1].isEmpty ? try id(parts[1], file: "/etc/group", in: tree) : uid
        return Ownership(uid: uid, gid: gid)
    }

    static func id(_ name: String, file: String, in tree: FileTree) throws -> UInt32 {
        if let n = UInt32(name) { return n }
        guard let entry = try tree.entry(at: file, followFinal: true), entry.kind == .file,
              let data = FileManager.default.contents(atPath: entry.hostPath) else {
            throw BuildError("unable to convert uid/gid chown string to host mapping: can't find uid for user \(name): no such user: \(name) (no \(file) in the image)")
        }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, fields[0] == name, let n = UInt32(fields[2]) { return n }
        }
        let what = file == "/etc/passwd" ? "user" : "group"
        throw BuildError("unable to convert uid/gid chown string to host mapping: can't find \(file == "/etc/passwd" ? "uid" : "gid") for \(what) \(name): no such \(what): \(name)")
    }

    /// `--chmod=0755` (octal; Docker also takes symbolic forms, hutch does not yet).
    public static func mode(_ text: String) throws -> UInt32 {
        guard let mode = UInt32(text, radix: 8), mode <= 0o7777 else {
            throw BuildError("invalid --chmod=\(text): expected an octal mode such as 0755")
        }
        return mode
    }
}
