import Foundation
import XCTest

/// A container user other than root (`-u 1000`, an image's `USER`, a build's
/// `USER` before RUN, `exec` into such a container), as both test users: the
/// union mount is made inside the container's user namespace, so every id
/// that namespace maps may use it, and what they write stays the host
/// user's files, with the container's owners recorded.
final class NonRootUserTests: XCTestCase {
    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    func makeStore(_ user: TestUser) throws -> (root: String, work: String) {
        let work = try Harness.tempDir(for: user, "nonroot")
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let root = work + "/store"
        XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
        XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env(root)), 0)
        return (root, work)
    }

    /// Every file under the store is the host user's, and nothing of the store
    /// is left running or mounted.
    func assertCleanStore(_ user: TestUser, root: String, file: StaticString = #filePath, line: UInt = #line) {
        let foreign = Harness.sh("find '\(root)' ! -user \(user.name) | head -3", as: user)
        XCTAssertEqual(foreign.stdout, "", "files not owned by \(user.name)", file: file, line: line)
        var ours: [String] = []
        let gone = Harness.waitUntil(timeout: 5) {
            ours = Harness.processes(of: user).filter { $0.contains(root) || $0.contains("sleep 317") }
            return ours.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(ours)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(root), "mounts left behind", file: file, line: line)
    }

    func testRunAsAnotherUserReadsAndWritesTheImage() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            let r = Harness.hutch(["run", "--rm", "-u", "1000:1000", "busybox", "sh", "-c",
                                   "id -u; cat /etc/passwd >/dev/null && echo read; mkdir /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f; stat -c '%u:%g' /tmp/d/f"],
                                  as: user, env: env(root), timeout: 60)
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "1000\nread\nhi\n1000:1000\n", r.output)
            // The image's files stay their owner's (this tar's, made by the test
            // user), closed to uid 1000 where there is more than one id.
            let denied = Harness.hutch(["run", "--rm", "-u", "1000", "busybox", "sh", "-c",
                                        "touch /etc/passwd 2>/dev/null && echo wrote || echo refused"],
                                       as: user, env: env(root))
            XCTAssertStatus(denied, 0)
            if user.hasSubuid {
                XCTAssertEqual(denied.stdout, "refused\n", denied.output)
            }
            assertCleanStore(user, root: root)
        }
    }

    func testBuildRunsAfterUserAndExecJoinsIt() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            let context = work + "/ctx"
            XCTAssertStatus(Harness.sh("mkdir -p '\(context)'", as: user), 0)
            XCTAssertStatus(Harness.sh("""
                cat > '\(context)/Dockerfile' <<'D'
                FROM busybox
                RUN mkdir -p /home/app && chmod 777 /home/app
                USER 1000:1000
                WORKDIR /home/app
                RUN echo made > by-app && id -u > uid
                CMD ["sh", "-c", "stat -c '%u:%g' /home/app/by-app; cat /home/app/uid"]
                D
                """, as: user), 0)
            let build = Harness.hutch(["build", "-t", "app", context], as: user, env: env(root), timeout: 120)
            XCTAssertStatus(build, 0)
            // The layer carries the owner the RUN had.
            let run = Harness.hutch(["run", "--rm", "app"], as: user, env: env(root))
            XCTAssertStatus(run, 0)
            XCTAssertEqual(run.stdout, "1000:1000\n1000\n", run.output)
            // And the committed layer itself, as another machine will read it (without
            // a subordinate range the container ran with the user mapped to 1000 alone).
            let inspect = Harness.hutch(["inspect", "app"], as: user, env: env(root))
            let image = ((try? JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8))) as? [[String: Any]])?.first
            let layers = (image?["RootFS"] as? [String: Any])?["Layers"] as? [String] ?? []
            let last = layers.last?.replacingOccurrences(of: "sha256:", with: "") ?? "missing"
            let listing = Harness.sh("tar -tvnf '\(root)/blobs/sha256/\(last)'", as: user)
            let byApp = listing.stdout.split(separator: "\n").first { $0.hasSuffix("home/app/by-app") }
            XCTAssertTrue(byApp?.contains(" 1000/1000 ") == true, listing.output)

            XCTAssertStatus(Harness.hutch(["run", "-d", "--name", "svc", "app", "sleep", "317"], as: user, env: env(root)), 0)
            let exec = Harness.hutch(["exec", "svc", "sh", "-c", "id -u && touch /home/app/from-exec && stat -c %u /home/app/from-exec"],
                                     as: user, env: env(root))
            XCTAssertStatus(exec, 0)
            XCTAssertEqual(exec.stdout, "1000\n1000\n", exec.output)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "svc"], as: user, env: env(root)), 0)
            assertCleanStore(user, root: root)
        }
    }
}
