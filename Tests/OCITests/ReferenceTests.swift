import XCTest
@testable import OCI

/// Cases from Docker's reference tests (normalize_test.go, reference_test.go).
final class ReferenceTests: XCTestCase {
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func testNormalization() throws {
        let table: [(String, String, String)] = [
            // input, full normalized string, familiar string
            ("python", "docker.io/library/python", "python"),
            ("python:3.12", "docker.io/library/python:3.12", "python:3.12"),
            ("library/python", "docker.io/library/python", "python"),
            ("docker.io/python", "docker.io/library/python", "python"),
            ("index.docker.io/python", "docker.io/library/python", "python"),
            ("docker.io/library/python:latest", "docker.io/library/python:latest", "python:latest"),
            ("user/repo", "docker.io/user/repo", "user/repo"),
            ("docker.io/library/a/b", "docker.io/library/a/b", "library/a/b"),
            ("localhost/x", "localhost/x", "localhost/x"),
            ("localhost:5000/x", "localhost:5000/x", "localhost:5000/x"),
            ("localhost:5000/x:tag", "localhost:5000/x:tag", "localhost:5000/x:tag"),
            ("127.0.0.1:5000/ns/name:tag", "127.0.0.1:5000/ns/name:tag", "127.0.0.1:5000/ns/name:tag"),
            ("host.example.com/ns/name:tag@sha256:\(hex)", "host.example.com/ns/name:tag@sha256:\(hex)",
             "host.example.com/ns/name:tag@sha256:\(hex)"),
            ("python@sha256:\(hex)", "docker.io/library/python@sha256:\(hex)", "python@sha256:\(hex)"),
            ("Foo/bar", "Foo/bar", "Foo/bar"),
            ("[::1]:5000/x", "[::1]:5000/x", "[::1]:5000/x"),
            ("a.b-c_d__e--f", "docker.io/library/a.b-c_d__e--f", "a.b-c_d__e--f"),
            ("foo:5000", "docker.io/library/foo:5000", "foo:5000"),
            ("xn--n3h.com/myimage", "xn--n3h.com/myimage", "xn--n3h.com/myimage"),
            ("x:" + String(repeating: "t", count: 128), "docker.io/library/x:" + String(repeating: "t", count: 128),
             "x:" + String(repeating: "t", count: 128)),
        ]
        for (input, full, familiar) in table {
            let r = try Reference(parsing: input)
            XCTAssertEqual(r.description, full, input)
            XCTAssertEqual(r.familiarString, familiar, input)
        }
    }

    func testDefaultTag() throws {
        XCTAssertEqual(try Reference(parsing: "python").withDefaultTag().description, "docker.io/library/python:latest")
        XCTAssertEqual(try Reference(parsing: "python@sha256:\(hex)").withDefaultTag().tag, nil)
        let r = try Reference(parsing: "localhost:5000/a/b:v1")
        XCTAssertEqual(r.domain, "localhost:5000")
        XCTAssertEqual(r.path, "a/b")
        XCTAssertEqual(r.tag, "v1")
        XCTAssertEqual(r.repository.description, "localhost:5000/a/b")
    }

    func testInvalid() {
        let bad: [(String, String)] = [
            ("", "at least one component"),
            ("Python", "must be lowercase"),
            ("library/Python", "must be lowercase"),
            (hex, "cannot specify 64-byte hexadecimal strings"),
            ("a:", "invalid reference format"),
            (":tag", "invalid reference format"),
            ("a/", "invalid reference format"),
            ("/a", "invalid reference format"),
            ("a//b", "invalid reference format"),
            ("-a", "invalid reference format"),
            ("a-", "invalid reference format"),
            ("a..b", "invalid reference format"),
            ("a___b", "invalid reference format"),
            ("a:-tag", "invalid reference format"),
            ("a:" + String(repeating: "t", count: 129), "invalid reference format"),
            ("a@sha256:abc", "invalid digest format"),
            ("a@", "invalid digest format"),
            ("localhost:port/x", "invalid reference format"),
            ("-host.com/x", "invalid reference format"),
            ("a b", "invalid reference format"),
            ("../../etc", "invalid reference format"),
            ("a/" + String(repeating: "b", count: 260), "not be more than 255"),
            ("é", "invalid reference format"),
        ]
        for (input, message) in bad {
            XCTAssertThrowsError(try Reference(parsing: input), "accepted \(input)") { error in
                XCTAssertTrue("\(error)".contains(message), "\(input): \(error)")
            }
        }
    }
}
