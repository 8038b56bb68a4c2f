import Foundation
import XCTest

/// Detached containers: run -d, ps, logs, port, stop, rm, a killed monitor,
/// port clashes, and many start/remove rounds leaving nothing behind.
final class ContainerLifecycleTests: XCTestCase {
    /// A private store per test and user, so tests never see each other's containers.
    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    func freePort() -> Int { Int.random(in: 20000...40000) }

    func fetch(_ port: Int, as user: TestUser) -> String? {
        var body: String?
        _ = Harness.waitUntil(timeout: 10, poll: 0.1) {
            let r = Harness.run(["/usr/bin/curl", "-s", "-m", "2", "http://127.0.0.1:\(port)/index.html"], as: user)
            if r.status == 0 { body = r.stdout }
            return r.status == 0
        }
        return body
    }

    func assertNothingLeft(_ user: TestUser, root: String, file: StaticString = #filePath, line: UInt = #line) {
        let ours = Harness.processes(of: user).filter { $0.contains(root) || $0.contains("httpd") }   // pasta names its pid file, under root
        XCTAssertEqual(ours, [], "processes left behind", file: file, line: line)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root + "/containers"))?.filter { !$0.hasPrefix(".") } ?? []
        XCTAssertEqual(left, [], "container folders left behind", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(root), "mounts left behind", file: file, line: line)
    }

    func testDetachedWebServerLifecycle() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "store")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user) }
            _ = Harness.sh("echo hello-from-hutch > \(rootfs)/var/www/index.html", as: user)
            let port = freePort()
            let run = Harness.hutch(["run", "-d", "--name", "web", "-p", "\(port):80", "--rootfs", rootfs,
                                     "sh", "-c", "echo started; echo oops >&2; exec httpd -f -v -p 80 -h /var/www"],
                                    as: user, env: env(root))
            XCTAssertStatus(run, 0)
            let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(id.count, 64, run.stdout)

            XCTAssertEqual(fetch(port, as: user), "hello-from-hutch\n")
            let ps = Harness.hutch(["ps"], as: user, env: env(root))
            XCTAssertTrue(ps.stdout.hasPrefix("CONTAINER ID   IMAGE"), ps.stdout)
            XCTAssertTrue(ps.stdout.contains(String(id.prefix(12))), ps.stdout)
            XCTAssertTrue(ps.stdout.contains("0.0.0.0:\(port)->80/tcp"), ps.stdout)
            XCTAssertTrue(ps.stdout.contains("Up "), ps.stdout)
            XCTAssertEqual(Harness.hutch(["ps", "-q"], as: user, env: env(root)).stdout, String(id.prefix(12)) + "\n")
            XCTAssertEqual(Harness.hutch(["port", "web"], as: user, env: env(root)).stdout, "80/tcp -> 0.0.0.0:\(port)\n")

            let logs = Harness.hutch(["logs", "web"], as: user, env: env(root))
            XCTAssertTrue(logs.stdout.contains("started"), logs.output)
            XCTAssertTrue(logs.stderr.contains("oops"), logs.output)
            XCTAssertTrue(logs.stderr.contains("response:200"), logs.output)
            let stamped = Harness.hutch(["logs", "-t", "--tail", "1", String(id.prefix(5))], as: user, env: env(root))
            XCTAssertTrue(stamped.output.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z "#, options: .regularExpression) != nil, stamped.output)

            let refused = Harness.hutch(["rm", "web"], as: user, env: env(root))
            XCTAssertNotEqual(refused.status, 0)
            XCTAssertTrue(refused.stderr.contains("container is running"), refused.stderr)

            let started = Date()
            XCTAssertStatus(Harness.hutch(["stop", "-t", "5", "web"], as: user, env: env(root)), 0)
            XCTAssertLessThan(Date().timeIntervalSince(started), 6)
            let psa = Harness.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"], as: user, env: env(root))
            XCTAssertTrue(psa.stdout.hasPrefix("web Exited (143)"), psa.stdout)
            XCTAssertStatus(Harness.hutch(["rm", "web"], as: user, env: env(root)), 0)
            assertNothingLeft(user, root: root)
        }
    }

    /// The web-dev story on the python fixture: `python3 -m http.server`
    /// serving the project folder mounted with -v, published with -p,
    /// fetched from the host; an edit on the host shows at once; logs, exec, stop.
    func testPythonHTTPServerServesTheMountedProjectFolder() throws {
        let fixture = try Harness.pythonFixture()
        try Harness.forEachUser { user in
            let root = try Harness.tempDir(for: user, "store")
            let project = try Harness.tempDir(for: user, "project")
            defer { Harness.removeTree(project, as: user); Harness.removeTree(root, as: user) }
            XCTAssertStatus(Harness.hutch(["import", fixture, "python:latest"], as: user, env: env(root)), 0)
            XCTAssertStatus(Harness.sh("echo first > \(project)/index.html", as: user), 0)
            let port = freePort()
            let run = Harness.hutch(["run", "-d", "--name", "dev", "-p", "127.0.0.1:\(port):8000", "-v", "\(project):/srv",
                                     "-w", "/srv", "python:latest", "python3", "-m", "http.server", "8000"],
                                    as: user, env: env(root))
            XCTAssertStatus(run, 0)
            XCTAssertEqual(fetch(port, as: user), "first\n")
            XCTAssertStatus(Harness.sh("echo second > \(project)/index.html", as: user), 0)
            XCTAssertEqual(fetch(port, as: user), "second\n")
            XCTAssertEqual(Harness.hutch(["port", "dev", "8000"], as: user, env: env(root)).stdout, "127.0.0.1:\(port)\n")

            // http.server logs each request on stderr.
            var logs = Harness.hutch(["logs", "dev"], as: user, env: env(root))
            XCTAssertTrue(Harness.waitUntil(timeout: 10) {
                logs = Harness.hutch(["logs", "dev"], as: user, env: env(root))
                return logs.stderr.contains("\"GET /index.html HTTP/1.1\" 200")
            }, logs.output)
            let exec = Harness.hutch(["exec", "dev", "python3", "-c", "import os; print(os.getcwd(), open('index.html').read().strip())"],
                                     as: user, env: env(root))
            XCTAssertStatus(exec, 0)
            XCTAssertEqual(exec.stdout, "/srv second\n")

            XCTAssertStatus(Harness.hutch(["stop", "-t", "5", "dev"], as: user, env: env(root)), 0)
            let psa = Harness.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"], as: user, env: env(root))
            XCTAssertTrue(psa.stdout.hasPrefix("dev Exited (143)"), psa.stdout)
            XCTAssertStatus(Harness.hutch(["rm", "dev"], as: user, env: env(root)), 0)
            assertNothingLeft(user, root: root)
            XCTAssertFalse(Harness.processes(of: user).contains { $0.contains("http.server") }, "http.server left running")
        }
    }

    func testKilledMonitorStillTellsTheTruth() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "store")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user) }
            let run = Harness.hutch(["run", "-d", "--name", "sleepy", "--rootfs", rootfs, "sleep", "300"], as: user, env: env(root))
            XCTAssertStatus(run, 0)
            let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // -o: the oldest match is the monitor; the container's init is its clone and shares its command line.
            let monitor = Harness.run(["/usr/bin/pgrep", "-o", "-u", user.name, "-f", "container-monitor.*\(id)"], as: nil)
            XCTAssertStatus(monitor, 0)
            _ = Harness.run(["/bin/kill", "-9"] + monitor.stdout.split(separator: "\n").map(String.init), as: nil)
            XCTAssertTrue(Harness.waitUntil(timeout: 5) {
                Harness.run(["/bin/kill", "-0"] + monitor.stdout.split(separator: "\n").map(String.init), as: nil).status != 0
            })
            // The container outlives its monitor and ps says so.
            let ps = Harness.hutch(["ps", "--format", "{{.Names}} {{.State}}"], as: user, env: env(root))
            XCTAssertEqual(ps.stdout, "sleepy running\n", ps.output)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "sleepy"], as: user, env: env(root)), 0)
            XCTAssertEqual(Harness.hutch(["ps", "-aq"], as: user, env: env(root)).stdout, "")
            assertNothingLeft(user, root: root)
        }
    }

    func testSecondContainerOnTheSamePortFailsClearly() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "store")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user) }
            let port = freePort()
            XCTAssertStatus(Harness.hutch(["run", "-d", "--name", "one", "-p", "\(port):80", "--rootfs", rootfs,
                                           "httpd", "-f", "-p", "80"], as: user, env: env(root)), 0)
            let second = Harness.hutch(["run", "-d", "--name", "two", "-p", "\(port):80", "--rootfs", rootfs,
                                        "httpd", "-f", "-p", "80"], as: user, env: env(root))
            XCTAssertEqual(second.status, 125)
            XCTAssertTrue(second.stderr.contains("host port \(port)/tcp is already in use"), second.stderr)
            let low = Harness.hutch(["run", "-d", "-p", "80:80", "--rootfs", rootfs, "true"], as: user, env: env(root))
            XCTAssertEqual(low.status, 125)
            XCTAssertTrue(low.stderr.contains("ports below"), low.stderr)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "one"], as: user, env: env(root)), 0)
            _ = Harness.hutch(["container", "prune", "-f"], as: user, env: env(root))
            assertNothingLeft(user, root: root)
        }
    }

    func testTwentyContainersLeaveNothingBehind() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "store")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user) }
            for i in 0..<20 {
                let run = Harness.hutch(["run", "-d", "--rootfs", rootfs, "sleep", "60"], as: user, env: env(root))
                XCTAssertStatus(run, 0, "round \(i)")
                let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                XCTAssertStatus(Harness.hutch(["rm", "-f", id], as: user, env: env(root)), 0, "round \(i)")
            }
            assertNothingLeft(user, root: root)
        }
    }

    /// --memory, --cpus and --pids-limit are applied or refused, never
    /// ignored: detached, and in the foreground on a plain --rootfs run
    /// (which the launcher hands to hutch-cli for that). This machine
    /// delegates no cgroup to the test users, so each is refused before
    /// anything starts.
    func testLimitsWithoutDelegationAreAClearError() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "store")
            let shared = try Harness.tempDir(for: user, "shared")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user); Harness.removeTree(shared, as: user) }
            let lines: [[String]] = [
                ["-d", "--memory", "64m"], ["--memory", "64m"], ["-m", "64m"], ["--cpus", "0.5"], ["--pids-limit", "10"],
                ["-it", "--memory=64m"], ["--network", "none", "--pids-limit", "10"],
            ]
            for options in lines {
                let r = Harness.hutch(["run"] + options + ["-v", "\(shared):/shared", "--rootfs", rootfs, "touch", "/shared/ran"],
                                      as: user, env: env(root))
                XCTAssertEqual(r.status, 125, "\(options): \(r.output)")
                XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(options): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("--memory, --cpus and --pids-limit need"),
                              "\(options): \(r.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: shared + "/ran"), "\(options): the command ran")
            }
            XCTAssertEqual(Harness.hutch(["ps", "-aq"], as: user, env: env(root)).stdout, "")
            assertNothingLeft(user, root: root)
        }
    }
}
