import Foundation
import XCTest
@testable import Seccomp

/// A folder of profile files for one test, removed by the caller.
final class ProfileFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "seccomp-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ json: String) throws -> String {
        let file = path + "/" + name + ".json"
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
    var library: ProfileLibrary { ProfileLibrary(searchPaths: [path]) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository's profiles/ folder.
let repositoryProfiles: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent().appendingPathComponent("profiles").path
}()

let amd64 = SeccompTarget(capabilities: SeccompTarget.dockerDefaultCapabilities, architecture: "x86_64",
                          kernel: KernelVersion(major: 6, minor: 1))

func names(_ resolved: ResolvedProfile, action: SeccompAction) -> Set<String> {
    Set(resolved.rules.filter { $0.action == action && $0.conditions.isEmpty }.flatMap(\.names))
}
