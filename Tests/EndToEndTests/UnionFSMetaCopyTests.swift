import Foundation
import XCTest

/// Metadata-only copy-up through hutch: in a container a chmod'ed or
/// touched image file keeps its data (read from the layer below), and a
/// build step doing the same commits the whole file, not the stub.
final class UnionFSMetaCopyTests: XCTestCase {
    func testChmodInContainersAndBuildsKeepsTheData() throws {
        let fixture = try Harness.pythonFixture()
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "metacopy")
            let env = ["HUTCH_ROOT": dir + "/store"]
            defer {
                let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
                XCTAssertFalse(mounts.contains(dir), "a union mount was left behind")
                XCTAssertTrue(Harness.waitUntil(timeout: 10) { !Harness.processes(of: user).contains { $0.contains(dir) } },
                              "processes left: \(Harness.processes(of: user))")
                Harness.removeTree(dir, as: user)
            }
            func hutch(_ args: [String]) -> CommandResult { Harness.hutch(args, as: user, env: env, timeout: 300) }
            XCTAssertStatus(hutch(["import", fixture, "python:latest"]), 0, "importing the python fixture")
            let files = "/usr/bin/dpkg /usr/bin/dpkg-query /usr/bin/dpkg-deb"
            let base = hutch(["run", "--rm", "python:latest", "md5sum"] + files.split(separator: " ").map(String.init))
            XCTAssertStatus(base, 0)
            XCTAssertEqual(base.stdout.split(separator: "\n").count, 3, base.stdout)

            // In a container: the stubs read as the files they stand for, before and after a write elsewhere.
            let inContainer = hutch(["run", "--rm", "python:latest", "sh", "-c",
                                     "chmod 700 /usr/bin/dpkg && touch -d @1000000 /usr/bin/dpkg-query && " +
                                     "ln /usr/bin/dpkg-deb /tmp/deb-link && md5sum \(files) && " +
                                     "stat -c '%a %Y' /usr/bin/dpkg /usr/bin/dpkg-query && cat /tmp/deb-link | md5sum"])
            XCTAssertStatus(inContainer, 0)
            let lines = inContainer.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(Array(lines.prefix(3)), base.stdout.split(separator: "\n").map(String.init), inContainer.stdout)
            XCTAssertTrue(inContainer.stdout.contains("700 ") && inContainer.stdout.contains("755 1000000\n"), inContainer.stdout)
            let debSum = base.stdout.split(separator: "\n")[2].split(separator: " ")[0]
            XCTAssertTrue(lines.last?.hasPrefix(String(debSum)) == true, inContainer.stdout)

            // In a build: the committed layer carries the data, mode and time.
            let ctx = dir + "/ctx"
            XCTAssertStatus(Harness.sh("mkdir -p '\(ctx)'", as: user), 0)
            let dockerfile = "FROM python:latest\nRUN chmod 700 /usr/bin/dpkg && touch -d @1000000 /usr/bin/dpkg-query\n"
            XCTAssertStatus(Harness.run(["/usr/bin/tee", ctx + "/Dockerfile"], as: user, stdin: dockerfile), 0)
            XCTAssertStatus(hutch(["build", "-t", "metacopy", ctx]), 0, "build with RUN chmod")
            let built = hutch(["run", "--rm", "metacopy", "sh", "-c", "md5sum \(files) && stat -c '%a %Y' /usr/bin/dpkg /usr/bin/dpkg-query"])
            XCTAssertStatus(built, 0)
            XCTAssertEqual(Array(built.stdout.split(separator: "\n").map(String.init).prefix(3)),
                           base.stdout.split(separator: "\n").map(String.init), built.stdout)
            XCTAssertTrue(built.stdout.contains("700 ") && built.stdout.contains("755 1000000\n"), built.stdout)
        }
    }
}
