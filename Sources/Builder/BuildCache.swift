import Foundation
import OCI

/// The build cache index: one small file per step key under the store,
/// naming the image config (an untagged intermediate image) the step
/// produced. A cached rebuild reads these and touches no layer.
public struct BuildCache {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ key: CacheKey) -> String { directory + "/" + key.digest.hex }

    public func lookup(_ key: CacheKey) -> Digest? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return Digest(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Written atomically (temp file + rename) so a killed build leaves
    /// either no entry or a whole one.
    public func record(_ key: CacheKey, image: Digest) throws {
        let final = path(key)
        let temp = final + ".tmp-\(getpid())"
        try Data(image.description.utf8).write(to: URL(fileURLWithPath: temp))
        guard rename(temp, final) == 0 else {
            unlink(temp)
            throw BuildError("cannot write the build cache entry \(final): \(String(cString: strerror(errno)))")
        }
    }

    public func forget(_ key: CacheKey) { unlink(path(key)) }
}
