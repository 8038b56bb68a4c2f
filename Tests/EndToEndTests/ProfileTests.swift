import Foundation
import XCTest

/// Seccomp profiles end to end: the profile commands, and containers run
/// under default, strict and unconfined, probed from inside by syscall-probe.
final class ProfileTests: XCTestCase {
    /// syscall-probe.c linked statically, so it runs in a bare busybox rootfs.
    static let prober: Result<String, HarnessError> = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/syscall-probe.c").path
        let out = Harness.root + "/syscall-probe"
        let r = Harness.run(["/usr/bin/cc", "-O1", "-static", "-o", out, source], as: nil)
        guard r.status == 0 else { return .failure(HarnessError("cc -static syscall-probe.c failed (need gcc, libc6-dev): \(r.output)")) }
        chmod(out, 0o755)
        return .success(out)
    }()

    /// Runs the prober in a busybox container under `profile` and returns errno by probe name.
    func probe(_ profile: String, as user: TestUser, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Int] {
        let prober = try Self.prober.get()
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let copy = Harness.run(["/bin/cp", prober, rootfs + "/probe"], as: user)
        XCTAssertStatus(copy, 0, file: file, line: line)
        let r = Harness.hutch(["run", "--rootfs", rootfs, "--network", "none", "--security-opt", "seccomp=\(profile)", "/probe"], as: user)
        XCTAssertStatus(r, 0, "hutch run under \(profile)", file: file, line: line)
        let left = Harness.processes(of: user).filter { $0.contains(rootfs) }
        XCTAssertTrue(left.isEmpty, "left running: \(left)", file: file, line: line)
        var result: [String: Int] = [:]
        for l in r.stdout.split(separator: "\n") {
            let parts = l.split(separator: " ")
            if parts.count == 2, let n = Int(parts[1]) { result[String(parts[0])] = n }
        }
        return result
    }

    static let EPERM = 1, ENOSYS = 38
    static let defaultExpectations: [String: Int] = [
        "getpid": 0, "fork": 0, "mount": EPERM, "unshare": EPERM, "setns": EPERM, "keyctl": EPERM, "add_key": EPERM,
        "bpf": EPERM, "perf_event_open": EPERM, "userfaultfd": EPERM, "io_uring_setup": EPERM, "kexec_load": EPERM,
        "init_module": EPERM, "reboot": EPERM, "swapon": EPERM, "clock_settime": EPERM, "open_by_handle_at": EPERM,
        "ptrace": 0, "personality_0x1234": EPERM, "personality_query": 0, "socket_vsock": EPERM, "socket_alg": EPERM,
        "socket_inet": 0, "socket_unix": 0, "socketpair": 0, "clone3": ENOSYS, "clone_newuser": EPERM,
        "keyctl_i386": EPERM, "keyctl_x32": EPERM,
    ]

    func testDefaultProfileDeniesWhatDockerDenies() throws {
        try Harness.forEachUser { user in
            XCTAssertEqual(try probe("default", as: user), Self.defaultExpectations)
        }
    }

    func testStrictProfileAllowsOnlyUnixSockets() throws {
        var expected = Self.defaultExpectations
        expected["ptrace"] = Self.EPERM
        expected["socket_inet"] = Self.EPERM
        try Harness.forEachUser { user in
            XCTAssertEqual(try probe("strict", as: user), expected)
        }
    }

    func testUnconfinedHasNoFilter() throws {
        try Harness.forEachUser { user in
            let got = try probe("unconfined", as: user)
            // Without a filter the kernel answers: clone3 refuses a zero-size
            // struct (EINVAL, checked before the NULL pointer), not the ENOSYS
            // the default profile gives; personality is set.
            XCTAssertEqual(got["clone3"], 22, "clone3 with a NULL, zero-size argument: EINVAL from the kernel")
            XCTAssertEqual(got["personality_0x1234"], 0)
            XCTAssertEqual(got["socket_vsock"].map { $0 != Self.EPERM }, true)
        }
    }

    func testContainerShowsSeccompModeAndNoNewPrivs() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let r = Harness.hutch(["run", "--rootfs", rootfs, "/bin/sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; echo hello | tr a-z A-Z | wc -c"], as: user)
            XCTAssertStatus(r, 0)
            XCTAssertTrue(r.stdout.contains("Seccomp:\t2"), r.stdout)
            XCTAssertTrue(r.stdout.contains("NoNewPrivs:\t1"), r.stdout)
            XCTAssertTrue(r.stdout.contains("6"), "a shell pipeline runs under the default profile: \(r.stdout)")
        }
    }

    func testBrokenProfileIsOneLineAndExit125() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user)
            defer { Harness.removeTree(dir, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let file = dir + "/broken.json"
            _ = Harness.sh("printf '{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [' > \(file)", as: user)
            let r = Harness.hutch(["run", "--rootfs", rootfs, "--security-opt", "seccomp=\(file)", "/bin/true"], as: user)
            XCTAssertStatus(r, 125)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("Error: ") && r.stderr.contains("broken.json"), r.stderr)
            let missing = Harness.hutch(["run", "--rootfs", rootfs, "--security-opt", "seccomp=nosuchprofile", "/bin/true"], as: user)
            XCTAssertStatus(missing, 125)
            XCTAssertTrue(Harness.processes(of: user).filter { $0.contains(rootfs) }.isEmpty)
        }
    }

    /// config.toml's `security.seccomp_profile` is every run's default: plain
    /// --rootfs runs (which the launcher hands to the full CLI) and image
    /// containers, whose record keeps it for exec; --security-opt overrides it.
    func testConfigFileChoosesTheDefaultProfile() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "cfgprofile")
            defer { Harness.removeTree(dir, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let env = ["HUTCH_ROOT": dir + "/root", "XDG_CONFIG_HOME": dir + "/config"]
            let config = dir + "/config/hutch/config.toml"
            let made = Harness.sh("""
                mkdir -p \(dir)/config/hutch &&
                printf '{"extends":"default","description":"no mkdir","remove":["mkdir","mkdirat"]}' > \(dir)/nomkdir.json &&
                printf '[security]\\nseccomp_profile = "\(dir)/nomkdir.json"\\n' > \(config) &&
                tar -C \(rootfs) -cf \(dir)/bb.tar .
                """, as: user)
            XCTAssertStatus(made, 0)
            XCTAssertStatus(Harness.hutch(["import", dir + "/bb.tar", "busybox"], as: user, env: env), 0)
            func run(_ args: [String]) -> CommandResult { Harness.hutch(["run"] + args, as: user, env: env, timeout: 60) }

            let denied = run(["--rootfs", rootfs, "/bin/mkdir", "/made-rootfs"])
            XCTAssertNotEqual(denied.status, 0, "mkdir must fail under the config's profile: \(denied.output)")
            XCTAssertTrue(denied.stderr.contains("Operation not permitted"), denied.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: rootfs + "/made-rootfs"))
            XCTAssertStatus(run(["--rootfs", rootfs, "--security-opt", "seccomp=unconfined", "/bin/mkdir", "/made-rootfs"]), 0)
            XCTAssertStatus(run(["--rootfs", rootfs, "--security-opt", "seccomp=default", "/bin/mkdir", "/made-default"]), 0)

            let imageDenied = run(["--rm", "busybox", "mkdir", "/made-image"])
            XCTAssertNotEqual(imageDenied.status, 0, imageDenied.output)
            XCTAssertTrue(imageDenied.stderr.contains("Operation not permitted"), imageDenied.stderr)
            XCTAssertStatus(run(["--rm", "--security-opt", "seccomp=unconfined", "busybox", "mkdir", "/made-image"]), 0)

            // A container keeps the profile it was made with: exec too, after the config changed.
            XCTAssertStatus(run(["-d", "--name", "kept", "busybox", "sleep", "317"]), 0)
            XCTAssertStatus(Harness.sh("rm \(config)", as: user), 0)
            let exec = Harness.hutch(["exec", "kept", "mkdir", "/made-exec"], as: user, env: env)
            XCTAssertNotEqual(exec.status, 0, exec.output)
            XCTAssertTrue(exec.stderr.contains("Operation not permitted"), exec.stderr)
            XCTAssertStatus(run(["--rm", "busybox", "mkdir", "/made-image"]), 0, "without the config, the default profile")
            XCTAssertStatus(run(["--rootfs", rootfs, "/bin/mkdir", "/made-plain"]), 0)

            XCTAssertStatus(Harness.hutch(["rm", "-f", "kept"], as: user, env: env), 0)
            var left: [String] = []
            XCTAssertTrue(Harness.waitUntil(timeout: 5) {
                left = Harness.processes(of: user).filter { $0.contains(dir) || $0.contains(rootfs) || $0.contains("sleep 317") }
                return left.isEmpty
            }, "left running: \(left)")
        }
    }

    func testProfileListShowCheck() throws {
        try Harness.forEachUser { user in
            let list = Harness.hutch(["profile", "list"], as: user)
            XCTAssertStatus(list, 0)
            for word in ["unconfined", "default", "strict", Harness.prefix + "/share/hutch/profiles/default.json"] {
                XCTAssertTrue(list.stdout.contains(word), "list lacks \(word): \(list.stdout)")
            }
            let show = Harness.hutch(["profile", "show", "strict"], as: user)
            XCTAssertStatus(show, 0)
            let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
            XCTAssertEqual(json?["defaultAction"] as? String, "SCMP_ACT_ERRNO")
            let names = ((json?["syscalls"] as? [[String: Any]]) ?? []).flatMap { ($0["names"] as? [String]) ?? [] }
            XCTAssertTrue(names.contains("read"))
            XCTAssertFalse(names.contains("ptrace"))
            XCTAssertNil(json?["extends"])

            // A user's own profile, found by name, extending the installed one.
            let config = Harness.home(of: user) + "/.config/hutch/profiles"
            _ = Harness.sh("mkdir -p \(config) && printf '{\"extends\":\"default\",\"description\":\"mine\",\"remove\":[\"ptrace\"]}' > \(config)/mine.json", as: user)
            defer { _ = Harness.sh("rm -f \(config)/mine.json", as: user) }
            let mine = Harness.hutch(["profile", "list"], as: user)
            XCTAssertTrue(mine.stdout.contains("mine"), mine.stdout)

            let dir = try Harness.tempDir(for: user)
            defer { Harness.removeTree(dir, as: user) }
            let cases: [(String, String, Int32, String)] = [
                ("typo", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["write"],"action":"SCMP_ACT_ALLOW"},{"names":["close"],"action":"SCMP_ACT_ALLOW"},{"names":["read","opne"],"action":"SCMP_ACT_ALLOW"}]}"#,
                 1, #"syscalls[3].names[1]: "opne" is not a Linux syscall (did you mean "open"?)"#),
                ("action", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALOW"}]}"#, 1, "syscalls[0].action"),
                ("op", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"EQ"}]}]}"#, 1, "syscalls[0].args[0].op"),
                ("syntax", "{\n\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\"syscalls\": [}\n", 1, "line 3"),
                ("newer", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","mseal"],"action":"SCMP_ACT_ALLOW"}]}"#, 0, "warning: syscalls[0].names[1]"),
                ("good", #"{"extends":"strict","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ALLOW"}]}"#, 0, "ok"),
            ]
            for (label, body, status, expected) in cases {
                let file = "\(dir)/\(label).json"
                try body.write(toFile: file, atomically: true, encoding: .utf8)
                if Harness.isRoot { _ = Harness.run(["/bin/chown", user.name, file], as: nil) }
                let r = Harness.hutch(["profile", "check", file], as: user)
                XCTAssertStatus(r, status, label)
                XCTAssertTrue(r.output.contains(expected), "\(label): \(r.output)")
            }
        }
    }
}
