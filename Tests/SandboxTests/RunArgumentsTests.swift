import XCTest
@testable import Sandbox

final class RunArgumentsTests: XCTestCase {
    func testReadsDockerSyntax() throws {
        let a = try XCTUnwrap(RunArguments.parse([
            "--rootfs", "/r", "-it", "--rm", "-e", "A=1", "--env=B=2", "-eC=3", "--env-file", "f", "-w", "/w",
            "-u", "1000:33", "--hostname=h", "--read-only", "-v", "/a:/b:ro", "--volume", "/c:/d", "--tmpfs", "/t",
            "--cap-add", "NET_ADMIN", "--cap-drop=ALL", "--security-opt", "seccomp=unconfined", "--net", "none",
            "--userns=keep-id", "--ulimit", "nofile=10", "sh", "-c", "echo -e --rm",
        ]))
        var o = RunOptions()
        o.interactive = true; o.tty = true
        o.env = ["A=1", "B=2", "C=3"]; o.envFiles = ["f"]; o.workdir = "/w"; o.user = "1000:33"; o.hostname = "h"
        o.readOnly = true; o.volumes = ["/a:/b:ro", "/c:/d"]; o.tmpfs = ["/t"]; o.capAdd = ["NET_ADMIN"]; o.capDrop = ["ALL"]
        o.securityOpts = ["seccomp=unconfined"]; o.network = "none"; o.userns = "keep-id"; o.ulimits = ["nofile=10"]
        XCTAssertEqual(a, RunArguments(rootfs: "/r", options: o, command: ["sh", "-c", "echo -e --rm"]))
    }

    func testCommandStartsAtTheFirstPositionalOrAfterDashDash() {
        XCTAssertEqual(RunArguments.parse(["--rootfs", "/r", "ls", "-l"])?.command, ["ls", "-l"])
        XCTAssertEqual(RunArguments.parse(["--rootfs", "/r", "--", "-weird"])?.command, ["-weird"])
        XCTAssertEqual(RunArguments.parse(["-ti", "--rootfs=/r", "sh"])?.options.tty, true)
        XCTAssertNil(RunArguments.parse(["--rootfs", "/r"]).flatMap { $0.rootfs == nil ? $0 : nil })
    }

    /// What it is not sure of goes to argument-parser.
    func testLeavesTheRestToTheFullParser() {
        let cases: [[String]] = [
            [], ["--help"], ["-h"], ["--rootfs"], ["--rootfs", "/r"], ["--rootfs", "/r", "--bogus", "sh"],
            ["--rootfs", "/r", "-x", "sh"], ["--rootfs", "/r", "-itx", "sh"], ["--rootfs", "/r", "--tty=false", "sh"],
            ["--rootfs", "/r", "-e"], ["--rootfs", "/r", "--"],
        ]
        for args in cases { XCTAssertNil(RunArguments.parse(args), args.joined(separator: " ")) }
    }
}
