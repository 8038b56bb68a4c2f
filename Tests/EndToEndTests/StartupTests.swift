import Foundation
import XCTest

/// The installed `hutch` is a launcher that starts plain --rootfs runs itself
/// and execs `hutch-cli` for the rest: the two must be indistinguishable.
/// Also: run's usage errors exit 125, and the seccomp filter index follows
/// profile edits.
final class StartupTests: XCTestCase {
    static var fullCLI: String { Harness.prefix + "/bin/hutch-cli" }

    func testLauncherAndFullCLIAnswerAlike() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let cases: [([String], Int32)] = [
                (["--rootfs", rootfs, "--network", "none", "sh", "-c", "echo out; echo err >&2; exit 3"], 3),
                (["-e", "A=1", "--env=B=2", "-w", "/tmp", "--rm", "--rootfs", rootfs, "sh", "-c", "echo $A $B $(pwd)"], 0),
                (["--rootfs=" + rootfs, "-u", "65534", "--read-only", "--hostname", "h", "sh", "-c", "id -u; hostname"], 0),
                (["--rootfs", rootfs, "--security-opt", "seccomp=unconfined", "--cap-drop", "ALL", "true"], 0),
                (["--rootfs", rootfs, "no-such-command"], 127),
                (["--rootfs", rootfs, "/etc/passwd"], 126),
                (["--rootfs", rootfs + "/missing", "true"], 125),
                (["--rootfs", rootfs, "--security-opt", "seccomp=no-such-profile", "true"], 125),
                (["--rootfs", rootfs, "-u", "nosuchuser", "true"], 125),
                (["--rootfs", rootfs, "--bogus", "true"], 125),
                (["--rootfs", rootfs, "--", "true"], 125),
                (["--rootfs", rootfs], 125),
                (["--rootfs"], 125),
                (["--bogus"], 125),
                (["--help"], 0),
            ]
            for (args, status) in cases {
                let viaLauncher = Harness.hutch(["run"] + args, as: user, timeout: 60)
                let viaFull = Harness.run([Self.fullCLI, "run"] + args, as: user, timeout: 60)
                let label = args.joined(separator: " ")
                XCTAssertStatus(viaLauncher, status, label)
                XCTAssertEqual(viaLauncher.status, viaFull.status, label)
                XCTAssertEqual(viaLauncher.stdout, viaFull.stdout, label)
                XCTAssertEqual(viaLauncher.stderr, viaFull.stderr, label)
            }
            // Commands other than run reach the full CLI through the launcher.
            let version = Harness.hutch(["--version"], as: user)
            XCTAssertStatus(version, 0)
            XCTAssertEqual(version.stdout, Harness.run([Self.fullCLI, "--version"], as: user).stdout)
            XCTAssertStatus(Harness.hutch(["profile", "list"], as: user), 0)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// Docker's code for a bad `run` command line is 125, with the usage text.
    func testRunUsageErrorsExit125() throws {
        try Harness.forEachUser { user in
            let missing = Harness.hutch(["run", "--rootfs"], as: user)
            XCTAssertStatus(missing, 125)
            XCTAssertTrue(missing.stderr.hasPrefix("Error: Missing value for '--rootfs <DIR>'"), missing.stderr)
            XCTAssertTrue(missing.stderr.contains("Usage: hutch run"), missing.stderr)
            let badNumber = Harness.hutch(["run", "--pids-limit", "many", "busybox", "true"], as: user)
            XCTAssertStatus(badNumber, 125)
            XCTAssertTrue(badNumber.stderr.hasPrefix("Error: "), badNumber.stderr)
            let unknown = Harness.hutch(["run", "--bogus", "busybox"], as: user)
            XCTAssertStatus(unknown, 125)
            XCTAssertEqual(unknown.stderr, "Error: unknown flag: --bogus (see 'hutch run --help')\n")
        }
    }

    /// A start reads the compiled filter from the index while the profile
    /// files are unchanged, and reads the JSON again once they change.
    func testSeccompIndexFollowsProfileEdits() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let dir = try Harness.tempDir(for: user)
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(dir, as: user) }
            let env = ["XDG_CACHE_HOME": dir + "/cache", "XDG_CONFIG_HOME": dir + "/config"]
            let probe = ["run", "--rootfs", rootfs, "--network", "none", "sh", "-c", "d=$(mktemp -u -d /tmp/m.XXXXXX) && mkdir $d && rmdir $d"]
            XCTAssertStatus(Harness.hutch(probe, as: user, env: env), 0)
            let indexes = Harness.sh("ls \(dir)/cache/hutch/seccomp/ | grep -c '\\.index$'", as: user)
            XCTAssertEqual(indexes.stdout, "1\n", "the first start records the index")
            XCTAssertStatus(Harness.hutch(probe, as: user, env: env), 0)

            // A user default profile now shadows the installed one: mkdir is denied.
            let profiles = dir + "/config/hutch/profiles"
            let write = { (removed: String) in
                XCTAssertStatus(Harness.sh("mkdir -p \(profiles) && printf '{\"extends\":\"default\",\"remove\":[\(removed)]}' > \(profiles)/default.json.new && mv \(profiles)/default.json.new \(profiles)/default.json", as: user), 0)
            }
            write(#""mkdir","mkdirat""#)
            let noMkdir = Harness.hutch(probe, as: user, env: env)
            XCTAssertStatus(noMkdir, 1)
            XCTAssertTrue(noMkdir.stderr.contains("mkdir") && noMkdir.stderr.contains("Operation not permitted"), noMkdir.stderr)
            // Replaced by one of the same size that denies rmdir instead.
            write(#""rmdir","umount2""#)
            let noRmdir = Harness.hutch(probe, as: user, env: env)
            XCTAssertStatus(noRmdir, 1)
            XCTAssertTrue(noRmdir.stderr.contains("rmdir") && noRmdir.stderr.contains("Operation not permitted"), noRmdir.stderr)
            // Removed: the installed default again.
            XCTAssertStatus(Harness.sh("rm \(profiles)/default.json", as: user), 0)
            XCTAssertStatus(Harness.hutch(probe, as: user, env: env), 0)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// Once the full CLI has recorded a profile's filter, the launcher starts
    /// that run alone: here it has no hutch-cli beside it any more.
    func testLauncherStartsAloneOnceTheFilterIsIndexed() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let dir = try Harness.tempDir(for: user)
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(dir, as: user) }
            let prefix = dir + "/prefix"
            XCTAssertStatus(Harness.sh("mkdir -p \(prefix)/bin \(prefix)/share/hutch && cp \(Harness.hutch) \(Self.fullCLI) \(prefix)/bin/ && cp -r \(Harness.prefix)/share/hutch/profiles \(prefix)/share/hutch/", as: user), 0)
            let env = ["XDG_CACHE_HOME": dir + "/cache"]
            let run = [prefix + "/bin/hutch", "run", "--rootfs", rootfs, "--network", "none", "sh", "-c", "echo started"]
            let first = Harness.run(run, as: user, env: env)
            XCTAssertStatus(first, 0)
            XCTAssertEqual(first.stdout, "started\n")
            XCTAssertStatus(Harness.sh("rm \(prefix)/bin/hutch-cli", as: user), 0)
            let alone = Harness.run(run, as: user, env: env)
            XCTAssertStatus(alone, 0)
            XCTAssertEqual(alone.stdout, "started\n")
            // Another profile is not indexed yet: that run needs hutch-cli.
            let strict = Harness.run([prefix + "/bin/hutch", "run", "--security-opt", "seccomp=strict", "--rootfs", rootfs, "true"], as: user, env: env)
            XCTAssertStatus(strict, 125)
            XCTAssertTrue(strict.stderr.contains("hutch-cli"), strict.stderr)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }
}
