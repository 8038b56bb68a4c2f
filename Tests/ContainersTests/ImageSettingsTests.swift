import OCI
import XCTest
@testable import Containers

/// Docker's rules for what `run IMAGE` takes from the image's config.
final class ImageSettingsTests: XCTestCase {
    func image(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String]? = nil) -> OCI.ContainerConfig {
        OCI.ContainerConfig(env: env, entrypoint: entrypoint, cmd: cmd)
    }

    func testCommandRules() throws {
        let cases: [(String, OCI.ContainerConfig?, [String], String?, [String]?)] = [
            ("cmd only", image(cmd: ["python3"]), [], nil, ["python3"]),
            ("command replaces cmd", image(cmd: ["python3"]), ["bash"], nil, ["bash"]),
            ("entrypoint + cmd", image(entrypoint: ["/init"], cmd: ["serve"]), [], nil, ["/init", "serve"]),
            ("command after entrypoint", image(entrypoint: ["/init"], cmd: ["serve"]), ["x", "y"], nil, ["/init", "x", "y"]),
            ("--entrypoint drops cmd", image(entrypoint: ["/init"], cmd: ["serve"]), [], "sh", ["sh"]),
            ("--entrypoint with command", image(cmd: ["serve"]), ["-c", "echo"], "sh", ["sh", "-c", "echo"]),
            ("--entrypoint '' clears", image(entrypoint: ["/init"], cmd: ["serve"]), ["ls"], "", ["ls"]),
            ("nothing at all", image(), [], nil, nil),
            ("no config", nil, [], nil, nil),
            ("--entrypoint '' and nothing", image(cmd: ["x"]), [], "", nil),
        ]
        for (name, config, command, entrypoint, expected) in cases {
            do {
                let s = try ImageSettings.resolve(image: config, userCommand: command, entrypoint: entrypoint, environment: [],
                                                  workdir: nil, user: nil, stopSignal: nil, publishAll: false)
                XCTAssertEqual(s.command, expected, name)
            } catch {
                XCTAssertNil(expected, "\(name): \(error)")
            }
        }
    }

    func testEnvironmentWorkdirUserSignalPorts() throws {
        var config = image(cmd: ["x"], env: ["PATH=/bin", "A=1", "BROKEN"])
        config.workingDir = "/app"
        config.user = "www-data"
        config.stopSignal = "SIGQUIT"
        config.exposedPorts = ["8080/tcp": EmptyObject(), "53/udp": EmptyObject(), "bad/sctp": EmptyObject(), "70000": EmptyObject()]
        let s = try ImageSettings.resolve(image: config, userCommand: [], entrypoint: nil, environment: ["A=2"],
                                          workdir: nil, user: nil, stopSignal: nil, publishAll: true)
        XCTAssertEqual(s.environment, ["PATH=/bin", "A=1", "A=2"])
        XCTAssertEqual(s.workdir, "/app")
        XCTAssertEqual(s.user, "www-data")
        XCTAssertEqual(s.stopSignal, "SIGQUIT")
        XCTAssertEqual(s.exposedPorts, [PortMapping(hostPort: 0, containerPort: 53, proto: .udp),
                                        PortMapping(hostPort: 0, containerPort: 8080, proto: .tcp)])
        let overridden = try ImageSettings.resolve(image: config, userCommand: [], entrypoint: nil, environment: [],
                                                   workdir: "/tmp", user: "0", stopSignal: "SIGKILL", publishAll: false)
        XCTAssertEqual(overridden.workdir, "/tmp")
        XCTAssertEqual(overridden.user, "0")
        XCTAssertEqual(overridden.stopSignal, "SIGKILL")
        XCTAssertEqual(overridden.exposedPorts, [])
        config.workingDir = ""
        config.user = ""
        config.stopSignal = ""
        let empty = try ImageSettings.resolve(image: config, userCommand: [], entrypoint: nil, environment: [],
                                              workdir: nil, user: nil, stopSignal: nil, publishAll: false)
        XCTAssertNil(empty.workdir)
        XCTAssertNil(empty.user)
        XCTAssertEqual(empty.stopSignal, "SIGTERM")
    }
}
