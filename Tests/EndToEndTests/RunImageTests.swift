import Foundation
import XCTest

/// `hutch run IMAGE [COMMAND]`: images from the store (imported busybox,
/// the python fixture), the image config applied, `-it` through a pty,
/// `ps -a` afterwards, rmi refusing a used image, `--rm`, as both users.
final class RunImageTests: XCTestCase {
    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    /// A store with busybox imported (plain, and one with a config to apply).
    func makeStore(_ user: TestUser) throws -> (root: String, work: String) {
        let work = try Harness.tempDir(for: user, "runimage")
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let root = work + "/store"
        XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
        XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env(root)), 0)
        XCTAssertStatus(Harness.hutch(["import",
                                       "--change", "ENV GREETING=hello PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                       "--change", "WORKDIR /var/www",
                                       "--change", "EXPOSE 80",
                                       "--change", "STOPSIGNAL SIGUSR1",
                                       "--change", "ENTRYPOINT [\"/bin/sh\", \"-c\"]",
                                       "--change", "CMD [\"echo $GREETING from $(pwd) as $(id -u)\"]",
                                       work + "/bb.tar", "configured"], as: user, env: env(root)), 0)
        return (root, work)
    }

    /// Nothing of the store's left running or mounted.
    func assertNothingLeft(_ user: TestUser, root: String, file: StaticString = #filePath, line: UInt = #line) {
        var ours: [String] = []
        let gone = Harness.waitUntil(timeout: 5) {
            ours = Harness.processes(of: user).filter { $0.contains(root) }
            return ours.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(ours)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(root), "mounts left behind", file: file, line: line)
    }

    func containerFolders(_ root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/containers")) ?? []).filter { !$0.hasPrefix(".") }
    }

    func testRunImagePrintsOutputAndExitCodes() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            let hi = Harness.hutch(["run", "--rm", "busybox", "echo", "hi"], as: user, env: env(root), timeout: 60)
            XCTAssertStatus(hi, 0)
            XCTAssertEqual(hi.stdout, "hi\n")
            XCTAssertEqual(containerFolders(root), [], "--rm left the container")
            XCTAssertStatus(Harness.hutch(["run", "--rm", "busybox", "sh", "-c", "exit 7"], as: user, env: env(root)), 7)
            let missing = Harness.hutch(["run", "--rm", "busybox", "no-such-command"], as: user, env: env(root))
            XCTAssertStatus(missing, 127)
            XCTAssertTrue(missing.stderr.contains("executable file not found"), missing.stderr)
            XCTAssertStatus(Harness.hutch(["run", "--rm", "busybox", "/etc/passwd"], as: user, env: env(root)), 126)
            XCTAssertEqual(containerFolders(root), [])

            // Writes go to the container's own upper layer, never to the image.
            XCTAssertStatus(Harness.hutch(["run", "--rm", "busybox", "sh", "-c", "echo x > /etc/written && rm /bin/ls"],
                                          as: user, env: env(root)), 0)
            let clean = Harness.hutch(["run", "--rm", "busybox", "sh", "-c", "test ! -e /etc/written && test -e /bin/ls && echo clean"],
                                      as: user, env: env(root))
            XCTAssertEqual(clean.stdout, "clean\n", clean.output)

            // The image's config: Entrypoint + Cmd, Env, WorkingDir, User.
            let configured = Harness.hutch(["run", "--rm", "configured"], as: user, env: env(root))
            XCTAssertStatus(configured, 0)
            XCTAssertEqual(configured.stdout, "hello from /var/www as 0\n")
            // -u with a name from the image's /etc/passwd.
            let named = Harness.hutch(["run", "--rm", "-u", "www-data", "configured"], as: user, env: env(root))
            XCTAssertEqual(named.stdout, "hello from /var/www as 33\n", named.output)
            // COMMAND replaces Cmd (the entrypoint stays); -e, -w, -u override.
            let overridden = Harness.hutch(["run", "--rm", "-e", "GREETING=bye", "-w", "/tmp", "-u", "0", "configured",
                                            "echo $GREETING in $(pwd) as $(id -u) with $PATH"], as: user, env: env(root))
            XCTAssertEqual(overridden.stdout, "bye in /tmp as 0 with /usr/sbin:/usr/bin:/sbin:/bin\n", overridden.output)
            // --entrypoint replaces the entrypoint and drops Cmd.
            let entry = Harness.hutch(["run", "--rm", "--entrypoint", "echo", "configured", "plain"], as: user, env: env(root))
            XCTAssertEqual(entry.stdout, "plain\n", entry.output)
            assertNothingLeft(user, root: root)
        }
    }

    func testPsShowsExitedAndRmiRefusesUntilForced() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            let run = Harness.hutch(["run", "--name", "once", "busybox", "sh", "-c", "echo ran; exit 3"], as: user, env: env(root))
            XCTAssertStatus(run, 3)
            XCTAssertEqual(run.stdout, "ran\n")
            let ps = Harness.hutch(["ps", "-a", "--format", "{{.Names}} {{.Image}} {{.Status}}"], as: user, env: env(root))
            XCTAssertTrue(ps.stdout.hasPrefix("once busybox Exited (3)"), ps.stdout)
            let id = Harness.hutch(["ps", "-aq"], as: user, env: env(root)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(id.count, 12)

            let imageID = Harness.hutch(["images", "-q", "busybox"], as: user, env: env(root)).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let refused = Harness.hutch(["rmi", imageID], as: user, env: env(root))
            XCTAssertStatus(refused, 1)
            XCTAssertEqual(refused.stderr,
                           "Error: conflict: unable to delete \(imageID) (must be forced) - image is being used by stopped container \(id)\n")
            let forced = Harness.hutch(["rmi", "-f", imageID], as: user, env: env(root))
            XCTAssertStatus(forced, 0)
            XCTAssertTrue(forced.stdout.contains("Untagged: busybox:latest\nDeleted: sha256:\(imageID)"), forced.stdout)
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env(root)).stdout.contains(imageID), false)
            // The stopped container keeps its layers: it still starts.
            XCTAssertStatus(Harness.hutch(["start", "-a", "once"], as: user, env: env(root)), 3)
            XCTAssertStatus(Harness.hutch(["rm", "once"], as: user, env: env(root)), 0)
            XCTAssertEqual(containerFolders(root), [])
            assertNothingLeft(user, root: root)
        }
    }

    func testDetachedImageContainerAndPublishAll() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            let run = Harness.hutch(["run", "-d", "-P", "--name", "web", "-u", "0", "--entrypoint", "httpd", "configured",
                                     "-f", "-p", "80", "-h", "/etc"], as: user, env: env(root))
            XCTAssertStatus(run, 0)
            let port = Harness.hutch(["port", "web"], as: user, env: env(root))
            XCTAssertTrue(port.stdout.hasPrefix("80/tcp -> 0.0.0.0:"), port.output)
            let hostPort = port.stdout.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            var body = ""
            _ = Harness.waitUntil(timeout: 10, poll: 0.1) {
                let r = Harness.run(["/usr/bin/curl", "-s", "-m", "2", "http://127.0.0.1:\(hostPort)/group"], as: user)
                body = r.stdout
                return r.status == 0
            }
            XCTAssertTrue(body.contains("www-data:x:33:"), body)
            let refused = Harness.hutch(["rmi", "configured"], as: user, env: env(root))
            XCTAssertTrue(refused.stderr.contains("image is being used by running container"), refused.stderr)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "web"], as: user, env: env(root)), 0)
            XCTAssertEqual(containerFolders(root), [])
            assertNothingLeft(user, root: root)
        }
    }

    func testInteractiveTerminalInAnImage() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            try RunTerminalTests.driver.write(toFile: work + "/drive.py", atomically: true, encoding: .utf8)
            chmod(work + "/drive.py", 0o644)
            let r = Harness.run(["/usr/bin/env", "HUTCH_ROOT=" + root, "/usr/bin/python3", work + "/drive.py",
                                 Harness.hutch, "run", "-it", "--rm", "busybox", "sh"], as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            XCTAssertTrue(r.stdout.contains("/dev/console\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("33 101\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("TERM=xterm\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("after-int\n"), r.stdout)
            XCTAssertTrue(r.stdout.hasSuffix("status=5\n"), r.stdout)
            XCTAssertEqual(containerFolders(root), [])
            assertNothingLeft(user, root: root)
        }
    }

    /// The python fixture imported as python:latest, run as the lecture does.
    func testPythonFixture() throws {
        let tar = try Harness.pythonFixture()
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "py")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            XCTAssertStatus(Harness.hutch(["import", "--change", "CMD [\"python3\"]", tar, "python:latest"],
                                          as: user, env: env(root), timeout: 120), 0)
            let r = Harness.hutch(["run", "--rm", "python", "python3", "-c", "import sys; print(sys.version_info[0])"],
                                  as: user, env: env(root), timeout: 60)
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "3\n")
            assertNothingLeft(user, root: root)
        }
    }

    /// `[storage] union = "overlay"`: the kernel overlay, mounted in the
    /// container's own namespaces, is the image container's root: changes
    /// land in its upper, a deleted image file is hidden, and a stopped
    /// container keeps them when started again; exec works; nothing left.
    func testKernelOverlayBackEnd() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            XCTAssertStatus(Harness.sh("mkdir -p \(work)/config/hutch && printf '[storage]\\nunion = \"overlay\"\\n' > \(work)/config/hutch/config.toml", as: user), 0)
            var env = env(root)
            env["XDG_CONFIG_HOME"] = work + "/config"
            let once = Harness.hutch(["run", "--rm", "--network", "none", "busybox", "sh", "-c",
                                      "grep ' / / ' /proc/self/mountinfo; echo changed > /etc/motd; cat /etc/motd; rm /bin/true; test -e /bin/true || echo hidden"],
                                     as: user, env: env)
            XCTAssertStatus(once, 0)
            XCTAssertTrue(once.stdout.contains(" - overlay overlay "), once.stdout)
            XCTAssertTrue(once.stdout.hasSuffix("changed\nhidden\n"), once.stdout)

            XCTAssertStatus(Harness.hutch(["run", "-d", "--name", "kept", "--network", "none", "busybox", "sleep", "319"], as: user, env: env), 0)
            XCTAssertStatus(Harness.hutch(["exec", "kept", "sh", "-c", "echo made > /made && rm /bin/true"], as: user, env: env), 0)
            XCTAssertStatus(Harness.hutch(["stop", "-t", "1", "kept"], as: user, env: env), 0)
            XCTAssertStatus(Harness.hutch(["start", "kept"], as: user, env: env), 0)
            let again = Harness.hutch(["exec", "kept", "sh", "-c", "cat /made; test -e /bin/true || echo still-hidden; grep ' / / ' /proc/self/mountinfo"],
                                      as: user, env: env)
            XCTAssertStatus(again, 0)
            XCTAssertTrue(again.stdout.hasPrefix("made\nstill-hidden\n"), again.stdout)
            XCTAssertTrue(again.stdout.contains(" - overlay overlay "), again.stdout)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "kept"], as: user, env: env), 0)
            XCTAssertFalse(Harness.processes(of: user).contains { $0.contains("hutch-unionfs") && $0.contains(root) },
                           "hutch-unionfs left running")
            assertNothingLeft(user, root: root)
        }
    }

    /// On the kernel overlay a container's non-root user writes files of a
    /// subordinate id into the upper (a 0700 folder: unreadable, undeletable
    /// from outside); `rm` removes them all the same, through a namespace.
    func testRmRemovesFilesOfSubordinateIdsFromTheKernelOverlayUpper() throws {
        try Harness.forEachUser { user in
            let (root, work) = try makeStore(user)
            defer { Harness.removeTree(work, as: user) }
            XCTAssertStatus(Harness.sh("mkdir -p \(work)/config/hutch && printf '[storage]\\nunion = \"overlay\"\\n' > \(work)/config/hutch/config.toml", as: user), 0)
            var env = env(root)
            env["XDG_CONFIG_HOME"] = work + "/config"
            let run = Harness.hutch(["run", "--name", "writer", "--network", "none", "-u", "1000:1000", "busybox", "sh", "-c",
                                     "mkdir /tmp/private && echo secret > /tmp/private/file && chmod 700 /tmp/private"], as: user, env: env)
            XCTAssertStatus(run, 0)
            XCTAssertEqual(containerFolders(root).count, 1)
            XCTAssertStatus(Harness.hutch(["rm", "writer"], as: user, env: env), 0)
            XCTAssertEqual(containerFolders(root), [], "the container's folder went whole")
            XCTAssertEqual(Harness.hutch(["ps", "-aq"], as: user, env: env).stdout, "")
            assertNothingLeft(user, root: root)
        }
    }
}
