import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// The compiled filter of a profile reference, found by the identity of the
/// files it was loaded from: a container start with unchanged profiles reads
/// one small file and parses no JSON. Kept beside the FilterCache as
/// <key>.index, where the key covers the reference, the search path and the
/// target; the file lists each profile file (the named one, then each
/// `extends` base) with its stat identity, then the BPF.
///
/// A hit needs every file to be the one the search path locates today, with
/// the same device, inode, size, mtime and ctime: a new profile earlier in
/// the search path, an edit, or a replaced file all make it miss.
struct FilterIndex {
    var directory: String

    static let magic = "hutch-seccomp-index-1"

    /// The BPF recorded for `reference`, when nothing it was built from changed.
    func lookup(reference: String, library: ProfileLibrary, target: SeccompTarget) -> [UInt8]? {
        guard let bytes = FileBytes.read(path(reference: reference, library: library, target: target)),
              let entry = Self.parse(bytes) else { return nil }
        for (i, file) in entry.files.enumerated() {
            let located: String?
            if i == 0 {
                guard file.baseName == nil else { return nil }
                located = Self.locate(reference: reference, library: library)
            } else {
                guard let name = file.baseName else { return nil }
                located = library.locate(named: name, excluding: entry.files[i - 1].path)
            }
            guard located == file.path, let identity = FileIdentity(path: file.path),
                  identity == file.identity else { return nil }
        }
        return entry.bpf
    }

    /// Records `bpf` as what `reference` compiles to, from `files`. Quietly
    /// does nothing when the index cannot be written: it only saves time.
    func record(_ bpf: [UInt8], reference: String, library: ProfileLibrary, target: SeccompTarget, files: [ProfileFile]) {
        guard !files.isEmpty, let text = Self.header(files: files, bpfCount: bpf.count) else { return }
        FileBytes.writeAtomically(Array(text.utf8) + bpf, to: path(reference: reference, library: library, target: target),
                                  directory: directory)
    }

    func path(reference: String, library: ProfileLibrary, target: SeccompTarget) -> String {
        var hasher = SHA256()
        var text = Self.magic + "\n\(libseccompVersion)\n\(target.architecture)\n\(target.kernel)\n"
        text += target.capabilities.sorted().joined(separator: ",") + "\n" + reference + "\n"
        text += library.searchPaths.joined(separator: "\0")
        hasher.update(data: Array(text.utf8))
        return directory + "/" + FileBytes.hex(hasher.finalize()) + ".index"
    }

    /// The file `ProfileLibrary.load(reference:)` would read first, or nil
    /// when it would fail (the slow path then says why).
    static func locate(reference: String, library: ProfileLibrary) -> String? {
        if access(reference, F_OK) == 0 { return reference }
        if reference.contains("/") || reference.hasSuffix(".json") { return nil }
        guard (try? ProfileLibrary.validate(name: reference)) != nil else { return nil }
        return library.locate(named: reference)
    }

    struct Entry: Equatable {
        var files: [ProfileFile]
        var bpf: [UInt8]
    }

    /// Magic line, file count, one `name<TAB>path<TAB>identity` line per
    /// file (an empty name for the named file), the BPF length, the BPF.
    static func header(files: [ProfileFile], bpfCount: Int) -> String? {
        var text = magic + "\n\(files.count)\n"
        for file in files {
            guard let identity = file.identity,
                  !file.path.contains(where: { $0 == "\t" || $0 == "\n" }) else { return nil }
            text += (file.baseName ?? "") + "\t" + file.path + "\t" + identity.fields + "\n"
        }
        return text + "\(bpfCount)\n"
    }

    /// nil for anything but a whole, well-formed entry.
    static func parse(_ bytes: [UInt8]) -> Entry? {
        var position = 0
        // Text lines up to the BPF length; the rest is binary.
        func nextLine() -> Substring? {
            guard let end = bytes[position...].firstIndex(of: 0x0a) else { return nil }
            let line = Substring(String(decoding: bytes[position..<end], as: UTF8.self))
            position = end + 1
            return line
        }
        guard nextLine() == Substring(magic), let countLine = nextLine(), let count = Int(countLine),
              count > 0, count <= 64 else { return nil }
        var files: [ProfileFile] = []
        for _ in 0..<count {
            guard let line = nextLine() else { return nil }
            let lines = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard lines.count == 3, !lines[1].isEmpty, let identity = FileIdentity(fields: lines[2]) else { return nil }
            files.append(ProfileFile(baseName: lines[0].isEmpty ? nil : String(lines[0]), path: String(lines[1]),
                                     identity: identity))
        }
        guard let lengthLine = nextLine(), let length = Int(lengthLine), length > 0, length % 8 == 0,
              bytes.count - position == length else { return nil }
        return Entry(files: files, bpf: Array(bytes[position...]))
    }
}
