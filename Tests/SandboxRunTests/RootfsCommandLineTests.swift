import ArgumentParser
import Sandbox
import XCTest
import RunCommandLine
@testable import SandboxRun

/// The launcher's reader of plain --rootfs run lines must agree with
/// argument-parser (what the full CLI uses) on every line it recognizes,
/// and recognize the common ones (or the launcher is no faster).
final class RootfsCommandLineTests: XCTestCase {
    /// RunCommand's arguments as the full CLI declares them.
    struct FullRun: ParsableArguments {
        @OptionGroup var options: RunArguments
        @Option(name: .customLong("root")) var root: String?
        @Argument(parsing: .captureForPassthrough) var command: [String] = []
    }

    /// What the full CLI does with `words`: nil unless it is a plain --rootfs run.
    func fullCLI(_ words: [String]) -> RootfsCommandLine? {
        guard let parsed = try? FullRun.parse(words), !parsed.options.needsContainerRecord,
              let rootfs = parsed.options.rootfs, let first = parsed.command.first, !first.hasPrefix("-") else { return nil }
        var line = RootfsCommandLine(["--rootfs", "/", "x"])!
        line.rootfs = rootfs
        line.options = parsed.options.sandboxOptions
        line.command = parsed.command
        return line
    }

    func testRecognizesTheCommonFormsAsArgumentParserParsesThem() {
        let lines: [[String]] = [
            ["--rootfs", "/r", "--network", "none", "true"],
            ["--rootfs=/r", "true"],
            ["-it", "--rm", "--rootfs", "/r", "sh", "-c", "echo hi"],
            ["-ti", "--rootfs", "/r", "sh"],
            ["-i", "-t", "--rootfs", "/r", "sh"],
            ["--interactive", "--tty", "--rootfs", "/r", "sh"],
            ["--rootfs", "/r", "true", "--", "-x", "--rootfs"],
            ["-e", "A=1", "--env", "B=2", "--env=C=3", "-v", "/a:/b:ro",
             "--tmpfs", "/t", "--rootfs", "/r", "--cap-add", "ALL", "--cap-drop", "chown",
             "--security-opt", "seccomp=unconfined", "--security-opt=no-new-privileges", "--net", "host",
             "--userns", "keep-id", "--ulimit", "nofile=10:20", "--hostname", "h", "--read-only", "--root", "/s",
             "--env-file", "f", "--workdir=/w", "--user=0", "--volume=/c:/d", "ls", "-l", "--rootfs"],
            ["-w", "/tmp", "-u", "1000:1000", "--rootfs", "/r", "--network=none", "true"],
        ]
        for words in lines {
            let line = RootfsCommandLine(words)
            XCTAssertNotNil(line, "\(words)")
            XCTAssertEqual(line, fullCLI(words), "\(words)")
        }
    }

    /// Each of these goes to the full CLI: it needs a record, is an error,
    /// or is a form the reader does not guess at.
    func testLeavesEverythingElseToTheFullCLI() {
        let lines: [[String]] = [
            [], ["--rootfs", "/r"], ["busybox", "true"], ["--help"], ["-h"], ["--", "true"],
            ["--rootfs", "/r", "-d", "true"], ["-d", "--rootfs", "/r", "true"], ["--name", "x", "--rootfs", "/r", "true"],
            ["--network", "private", "--rootfs", "/r", "true"], ["--net=private", "--rootfs", "/r", "true"],
            ["-p", "80:80", "--rootfs", "/r", "true"], ["--entrypoint", "x", "--rootfs", "/r", "true"],
            ["--memory", "1g", "--rootfs", "/r", "true"], ["-m", "64m", "--rootfs", "/r", "true"],
            ["--memory=64m", "--rootfs", "/r", "true"], ["--cpus", "1", "--rootfs", "/r", "true"],
            ["--pids-limit", "10", "--rootfs", "/r", "true"], ["--rootfs", "/r", "--pids-limit=10", "true"],
            ["-l", "a=b", "--rootfs", "/r", "true"],
            ["-eA=1", "--rootfs", "/r", "true"], ["-e=A", "--rootfs", "/r", "true"], ["--env=", "--rootfs", "/r", "true"],
            ["--env", "-x", "--rootfs", "/r", "true"], ["--rootfs", "/r", "--rootfs", "/q", "true"],
            ["-i", "-i", "--rootfs", "/r", "true"], ["-it", "-t", "--rootfs", "/r", "true"],
            ["--rootfs", "/r", "--bogus", "true"], ["--rootfs", "-", "true"], ["--rm=true", "--rootfs", "/r", "true"],
            ["--rootfs", "/r", "-"], ["--rootfs"], ["-e"], ["--net", "host", "--network", "none", "--rootfs", "/r", "true"],
        ]
        for words in lines { XCTAssertNil(RootfsCommandLine(words), "\(words)") }
    }

    /// A --rootfs run with --memory, --cpus or --pids-limit goes the
    /// container path (which applies them or refuses them), never the plain
    /// one (which would ignore them), and otherwise stays a plain run.
    func testCgroupLimitsNeedTheContainerPath() throws {
        for words in [["--memory", "64m"], ["-m", "64m"], ["--cpus", "0.5"], ["--pids-limit", "10"], ["--memory=1g", "-it"]] {
            let parsed = try FullRun.parse(words + ["--rootfs", "/r", "true"])
            XCTAssertTrue(parsed.options.needsContainerRecord, "\(words)")
            XCTAssertTrue(parsed.options.isPlainRootfsRunWithLimits, "\(words)")
        }
        for words in [["-d", "--memory", "64m"], ["--name", "x", "--cpus", "1"], ["--pids-limit", "5", "-p", "80"]] {
            let parsed = try FullRun.parse(words + ["--rootfs", "/r", "true"])
            XCTAssertTrue(parsed.options.needsContainerRecord, "\(words)")
            XCTAssertFalse(parsed.options.isPlainRootfsRunWithLimits, "\(words)")
        }
        let plain = try FullRun.parse(["--rootfs", "/r", "true"])
        XCTAssertFalse(plain.options.needsContainerRecord)
        XCTAssertFalse(plain.options.isPlainRootfsRunWithLimits)
    }

    /// Random lines from a vocabulary of options, values and commands:
    /// whatever the reader recognizes, argument-parser parses the same.
    func testAgreesWithArgumentParserOnRandomLines() {
        let vocabulary = ["--rootfs", "/r", "--rootfs=/q", "-e", "A=1", "--env", "--env=B=2", "-w", "/w", "-u", "0",
                          "-v", "/a:/b", "--tmpfs", "/t", "--cap-add", "ALL", "--security-opt", "seccomp=unconfined",
                          "--network", "none", "host", "private", "--net", "--userns", "keep-id", "--ulimit", "nofile=1",
                          "--hostname", "h", "--read-only", "--rm", "-i", "-t", "-it", "-d", "--root", "/s", "--",
                          "-", "true", "sh", "-c", "--name", "n", "-x", "=", "", "--memory", "64m", "--pids-limit", "9"]
        var generator = SystemRandomNumberGenerator()
        var recognized = 0
        for _ in 0..<400 {
            let count = Int.random(in: 0...9, using: &generator)
            var words = (0..<count).map { _ in vocabulary.randomElement(using: &generator)! }
            if Bool.random(using: &generator) { words = ["--rootfs", "/r"] + words + ["true"] }
            guard let line = RootfsCommandLine(words) else { continue }
            recognized += 1
            XCTAssertEqual(line, fullCLI(words), "\(words)")
        }
        XCTAssertGreaterThan(recognized, 20, "too few random lines recognized to mean anything")
    }
}
