import XCTest
@testable import Containers

final class ContainerCopyParsingTests: XCTestCase {
    func testEndpoints() {
        let cases: [(String, ContainerCopy.Endpoint)] = [
            ("-", .stream),
            ("web:/etc/passwd", .container("web", path: "/etc/passwd")),
            ("web:relative", .container("web", path: "relative")),
            ("web:", .container("web", path: "")),
            ("/abs/with:colon", .host("/abs/with:colon")),
            ("./rel:colon", .host("./rel:colon")),
            ("plain", .host("plain")),
        ]
        for (text, expected) in cases { XCTAssertEqual(ContainerCopy.Endpoint.parse(text), expected, text) }
    }

    func testTopFilterKeepsHeaderAndContainerRows() {
        let ps = "  PID COMMAND\n    1 init\n   42 sleep\n  420 other\n"
        XCTAssertEqual(ContainerProcesses.filter(ps, pids: [42]), "  PID COMMAND\n   42 sleep\n")
        XCTAssertEqual(ContainerProcesses.filter("", pids: [1]), "")
        XCTAssertEqual(ContainerProcesses.filter("USER CMD\n1 x\n", pids: [1]), "USER CMD\n1 x\n")
        XCTAssertEqual(ContainerProcesses.psArguments(pids: [3, 4], options: []), ["/bin/ps", "-f", "-p", "3,4"])
        XCTAssertEqual(ContainerProcesses.psArguments(pids: [3], options: ["aux"]), ["/bin/ps", "aux"])
    }
}
