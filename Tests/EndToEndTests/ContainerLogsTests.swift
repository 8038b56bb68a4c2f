import Foundation
import XCTest

/// `logs -f`, `--since`/`--until`, `--tail N`, and `ps -f`.
final class ContainerLogsTests: XCTestCase {
    /// Five lines and one on stderr, then (once the test says go) one more.
    static let twoPhases = "for i in 1 2 3 4 5; do echo line$i; done; echo to-stderr >&2; "
        + "until [ -e /shared/go ]; do sleep 0.05; done; echo late"

    func testFollowSinceUntilAndTail() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "lg"] + f.volume + ["--rootfs", f.rootfs, "sh", "-c", Self.twoPhases]), 0)
            XCTAssertTrue(f.waitForLog("lg", "to-stderr"))

            // --tail N: exactly the last N lines, across both streams.
            let tail2 = f.hutch(["logs", "--tail", "2", "lg"])
            XCTAssertEqual(tail2.stdout, "line5\n")
            XCTAssertEqual(tail2.stderr, "to-stderr\n")
            let tail4 = f.hutch(["logs", "-n", "4", "lg"])
            XCTAssertEqual(tail4.stdout, "line3\nline4\nline5\n")
            XCTAssertEqual(tail4.stderr, "to-stderr\n")
            let tail0 = f.hutch(["logs", "--tail", "0", "lg"])
            XCTAssertEqual(tail0.output, "")
            XCTAssertEqual(f.hutch(["logs", "--tail", "100", "lg"]).stdout, "line1\nline2\nline3\nline4\nline5\n")
            XCTAssertEqual(f.hutch(["logs", "--tail", "all", "lg"]).stdout, "line1\nline2\nline3\nline4\nline5\n")
            XCTAssertNotEqual(f.hutch(["logs", "--tail", "x", "lg"]).status, 0)

            // -f: prints what is there, follows the line written later, and
            // ends when the container does. The mark is taken after the first
            // lines were logged and before the last one could be.
            let follow = f.sh("""
                hutch logs -f lg > \(f.shared)/follow.out 2> \(f.shared)/follow.err &
                pid=$!
                i=0
                until grep -q line5 \(f.shared)/follow.out; do i=$((i+1)); [ $i -gt 300 ] && echo no-line5 && break; sleep 0.05; done
                kill -0 $pid && echo following
                date -u +mark=%Y-%m-%dT%H:%M:%S.%NZ
                touch \(f.shared)/go
                i=0
                while kill -0 $pid 2>/dev/null; do i=$((i+1)); [ $i -gt 300 ] && echo still-following && kill $pid && break; sleep 0.05; done
                wait $pid; echo "status=$?"
                """, timeout: 60)
            let lines = follow.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 3, follow.output)
            XCTAssertEqual(lines.first, "following", follow.output)
            XCTAssertEqual(lines.last, "status=0", follow.output)
            let mark = try XCTUnwrap(lines.first { $0.hasPrefix("mark=") }).dropFirst(5)
            XCTAssertEqual(try String(contentsOfFile: f.shared + "/follow.out", encoding: .utf8),
                           "line1\nline2\nline3\nline4\nline5\nlate\n")
            XCTAssertEqual(try String(contentsOfFile: f.shared + "/follow.err", encoding: .utf8), "to-stderr\n")
            XCTAssertEqual(f.inspect("lg", "{{.State.Status}}"), "exited")

            // --since/--until: by each line's time in the log.
            XCTAssertEqual(f.hutch(["logs", "--since", String(mark), "lg"]).output, "late\n")
            let until = f.hutch(["logs", "--until", String(mark), "lg"])
            XCTAssertEqual(until.stdout, "line1\nline2\nline3\nline4\nline5\n")
            XCTAssertEqual(until.stderr, "to-stderr\n")
            XCTAssertEqual(f.hutch(["logs", "--since", "1h", "lg"]).stdout, "line1\nline2\nline3\nline4\nline5\nlate\n")
            XCTAssertEqual(f.hutch(["logs", "--since", "2099-01-01T00:00:00Z", "lg"]).output, "")
            XCTAssertEqual(f.hutch(["logs", "--since", String(mark), "--tail", "5", "-t", "lg"]).stdout.count,
                           "2026-01-01T00:00:00.000000000Z late\n".count)
            XCTAssertNotEqual(f.hutch(["logs", "--since", "yesterday", "lg"]).status, 0)
            // -f on a container that has ended prints the log and returns.
            XCTAssertEqual(f.hutch(["logs", "-f", "lg"], timeout: 20).stdout, "line1\nline2\nline3\nline4\nline5\nlate\n")
        }
    }

    func testPsFilters() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "alpha", "-l", "role=db", "--rootfs", f.rootfs, "sleep", "300"]), 0)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "beta", "--rootfs", f.rootfs, "sh", "-c", "exit 3"]), 0)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "alphabet", "--rootfs", f.rootfs, "true"]), 0)
            XCTAssertEqual(f.hutch(["wait", "beta", "alphabet"], timeout: 20).stdout, "3\n0\n")
            func names(_ args: [String]) -> String {
                let r = f.hutch(["ps"] + args + ["--format", "{{.Names}}"])
                XCTAssertStatus(r, 0, "\(args)")
                return r.stdout.split(separator: "\n").sorted().joined(separator: " ")
            }
            // A status filter shows stopped containers without -a, as Docker's does.
            XCTAssertEqual(names(["-f", "status=exited"]), "alphabet beta")
            XCTAssertEqual(names(["-f", "status=running"]), "alpha")
            XCTAssertEqual(names(["-f", "status=created"]), "")
            XCTAssertEqual(names(["-f", "status=running", "-f", "status=exited"]), "alpha alphabet beta")
            // name= matches a part of the name; without -a only running ones.
            XCTAssertEqual(names(["-f", "name=alpha"]), "alpha")
            XCTAssertEqual(names(["-a", "-f", "name=alpha"]), "alpha alphabet")
            XCTAssertEqual(names(["-a", "-f", "name=bet"]), "alphabet beta")
            XCTAssertEqual(names(["-f", "name=beta"]), "")
            XCTAssertEqual(names(["-a", "-f", "name=alpha", "-f", "status=exited"]), "alphabet")
            XCTAssertEqual(names(["-f", "exited=3"]), "beta")
            XCTAssertEqual(names(["-a", "-f", "label=role=db"]), "alpha")
            XCTAssertEqual(names(["-a", "-f", "label=role"]), "alpha")
            let id = f.hutch(["ps", "-q", "--no-trunc", "-f", "name=alpha", "-f", "status=running"]).stdout
            XCTAssertEqual(names(["-a", "-f", "id=" + id.prefix(8)]), "alpha")
            let bad = f.hutch(["ps", "-f", "status=sleeping"])
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains("invalid filter 'status=sleeping'"), bad.stderr)
            XCTAssertNotEqual(f.hutch(["ps", "-f", "colour=red"]).status, 0)
        }
    }
}
