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

    func testVolumeHoldingAPath() {
        let volumes = ["/h/vol:/data", "/h/ro:/data/ro:ro", "/h/x:/x/"]
        let cases: [(String, String?, String?, Bool)] = [
            ("/data/f", "/h/vol", "/f", false),
            ("data/sub/", "/h/vol", "/sub/", false),
            ("/data", "/h/vol", "/", false),
            ("/data/", "/h/vol", "/", false),
            ("/data/.", "/h/vol", "/.", false),
            ("/data/ro/f", "/h/ro", "/f", true),         // the deepest mount wins
            ("/./x/y", "/h/x", "/y", false),
            ("/database", nil, nil, false),             // a prefix of a name is not a parent
            ("/data/../etc", nil, nil, false),          // ".." is resolved in the root
            ("/etc/passwd", nil, nil, false),
        ]
        for (path, source, inner, readOnly) in cases {
            let v = ContainerCopy.volume(holding: path, in: volumes)
            XCTAssertEqual(v?.source, source, path)
            XCTAssertEqual(v?.path, inner, path)
            if v != nil { XCTAssertEqual(v?.readOnly, readOnly, path) }
        }
        XCTAssertNil(ContainerCopy.volume(holding: "/data/f", in: ["not a volume", "relative:/data"]))
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
