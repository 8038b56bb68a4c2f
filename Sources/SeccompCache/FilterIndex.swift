#if canImport(Glibc)
import Glibc
#endif

/// The compiled filter of a profile reference, found by the identity of the
/// files it was loaded from: a container start with unchanged profiles reads
/// one small file and parses no JSON. Kept beside the Seccomp module's
/// FilterCache as <hash>.index; the file holds the whole key (the reference,
/// the search path, the target, the libseccomp version), then each profile
/// file (the named one, then each `extends` base) with its stat identity,
/// then the BPF. This module needs no Foundation, so the hutch launcher can
/// use it.
///
/// A hit needs every file to be the one the search path locates today, with
/// the same device, inode, size, mtime and ctime: a new profile earlier in
/// the search path, an edit, or a replaced file all make it miss.
public struct FilterIndex {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// $XDG_CACHE_HOME/hutch/seccomp (else ~/.cache/hutch/seccomp); `environment`
    /// nil reads the process's own.
    public static func standardDirectory(environment: [String: String]? = nil) -> String {
        let env: (String) -> String? = { name in
            if let environment { return environment[name] }
            return getenv(name).map { String(cString: $0) }
        }
        let home = env("HOME") ?? ProfileSearchPath.homeFromPasswd()
        let base = env("XDG_CACHE_HOME").flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache"
        return base + "/hutch/seccomp"
    }

    static let magic = "hutch-seccomp-index-2"

    /// The BPF recorded for `reference`, when nothing it was built from changed.
    public func lookup(reference: String, searchPath: ProfileSearchPath, target: SeccompTarget) -> [UInt8]? {
        let key = Self.key(reference: reference, searchPath: searchPath, target: target)
        guard let bytes = FileBytes.read(path(key: key)), let entry = Self.parse(bytes), entry.key == key else { return nil }
        for (i, file) in entry.files.enumerated() {
            let located: String?
            if i == 0 {
                guard file.baseName == nil else { return nil }
                located = Self.locate(reference: reference, searchPath: searchPath)
            } else {
                guard let name = file.baseName else { return nil }
                located = searchPath.locate(named: name, excluding: entry.files[i - 1].path)
            }
            guard located == file.path, let identity = FileIdentity(path: file.path),
                  identity == file.identity else { return nil }
        }
        return entry.bpf
    }

    /// Records `bpf` as what `reference` compiles to, from `files`. Quietly
    /// does nothing when the index cannot be written: it only saves time.
    public func record(_ bpf: [UInt8], reference: String, searchPath: ProfileSearchPath, target: SeccompTarget,
                       files: [ProfileFile]) {
        let key = Self.key(reference: reference, searchPath: searchPath, target: target)
        guard !files.isEmpty, let bytes = Self.encode(Entry(key: key, files: files, bpf: bpf)) else { return }
        FileBytes.writeAtomically(bytes, to: path(key: key), directory: directory)
    }

    /// Everything the filter depends on besides the files' contents.
    static func key(reference: String, searchPath: ProfileSearchPath, target: SeccompTarget) -> [UInt8] {
        var text = "\(libseccompVersion)\n\(target.architecture)\n\(target.kernel)\n"
        text += target.capabilities.sorted().joined(separator: ",") + "\n" + reference + "\n"
        text += searchPath.directories.joined(separator: "\0")
        return Array(text.utf8)
    }

    /// The file name is a 64-bit FNV-1a hash of the key; the file holds the
    /// key itself, so a collision is a miss, never a wrong filter.
    func path(key: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let digits = Array("0123456789abcdef".utf8)
        var name: [UInt8] = []
        for shift in stride(from: 60, through: 0, by: -4) { name.append(digits[Int((hash >> UInt64(shift)) & 15)]) }
        return directory + "/" + String(decoding: name, as: UTF8.self) + ".index"
    }

    /// The file `ProfileLibrary.load(reference:)` would read first, or nil
    /// when it would fail (the slow path then says why).
    static func locate(reference: String, searchPath: ProfileSearchPath) -> String? {
        if access(reference, F_OK) == 0 { return reference }
        if reference.contains("/") || reference.hasSuffix(".json") { return nil }
        guard reference != "unconfined", ProfileSearchPath.isValidName(reference) else { return nil }
        return searchPath.locate(named: reference)
    }

    struct Entry: Equatable {
        var key: [UInt8]
        var files: [ProfileFile]
        var bpf: [UInt8]
    }

    /// Magic line; the key's length and the key; the file count and one
    /// `name<TAB>path<TAB>identity` line per file (an empty name for the
    /// named file); the BPF length and the BPF. nil for a path that would
    /// break the line format, or a file without an identity.
    static func encode(_ entry: Entry) -> [UInt8]? {
        var text = magic + "\n\(entry.key.count)\n"
        var bytes = Array(text.utf8) + entry.key
        text = "\n\(entry.files.count)\n"
        for file in entry.files {
            guard let identity = file.identity, !file.path.isEmpty,
                  !file.path.contains(where: { $0 == "\t" || $0 == "\n" }),
                  !(file.baseName ?? "").contains(where: { $0 == "\t" || $0 == "\n" }) else { return nil }
            text += (file.baseName ?? "") + "\t" + file.path + "\t" + identity.fields + "\n"
        }
        text += "\(entry.bpf.count)\n"
        bytes += Array(text.utf8) + entry.bpf
        return bytes
    }

    /// nil for anything but a whole, well-formed entry.
    static func parse(_ bytes: [UInt8]) -> Entry? {
        var position = 0
        func nextLine() -> Substring? {
            guard position <= bytes.count, let end = bytes[position...].firstIndex(of: 0x0a) else { return nil }
            let line = Substring(String(decoding: bytes[position..<end], as: UTF8.self))
            position = end + 1
            return line
        }
        guard nextLine() == Substring(magic), let keyLine = nextLine(), let keyCount = Int(keyLine),
              keyCount >= 0, keyCount < bytes.count - position else { return nil }
        let key = Array(bytes[position..<position + keyCount])
        position += keyCount
        guard bytes[position] == 0x0a else { return nil }
        position += 1
        guard let countLine = nextLine(), let count = Int(countLine), count > 0, count <= 64 else { return nil }
        var files: [ProfileFile] = []
        for _ in 0..<count {
            guard let line = nextLine() else { return nil }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[1].isEmpty, let identity = FileIdentity(fields: fields[2]) else { return nil }
            files.append(ProfileFile(baseName: fields[0].isEmpty ? nil : String(fields[0]), path: String(fields[1]),
                                     identity: identity))
        }
        guard let lengthLine = nextLine(), let length = Int(lengthLine), length > 0, length % 8 == 0,
              bytes.count - position == length else { return nil }
        return Entry(key: key, files: files, bpf: Array(bytes[position...]))
    }
}
