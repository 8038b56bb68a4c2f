import Foundation
import XCTest

/// `hutch build --check`: parse and lint without building, as each test user.
final class BuildCheckTests: XCTestCase {
    let lecture = "FROM python:latest\nWORKDIR /tmp\nCOPY . .\nCMD [\"python\",\"./hello.py\"]\n"

    func write(_ text: String, to path: String, as user: TestUser) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if Harness.isRoot { _ = Harness.run(["/bin/chown", user.name, path], as: nil) }
    }

    func testLectureDockerfileAsJSON() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "check")
            defer { Harness.removeTree(dir, as: user) }
            try write(lecture, to: dir + "/Dockerfile", as: user)
            try write("print('hello')\n", to: dir + "/hello.py", as: user)

            let r = Harness.hutch(["build", "--check", "--format", "json", dir], as: user)
            XCTAssertStatus(r, 0)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines, [
                #"{"arguments":["python:latest"],"endLine":1,"flags":[],"heredocs":[],"instruction":"FROM","json":false,"startLine":1}"#,
                #"{"arguments":["/tmp"],"endLine":2,"flags":[],"heredocs":[],"instruction":"WORKDIR","json":false,"startLine":2}"#,
                #"{"arguments":[".","."],"endLine":3,"flags":[],"heredocs":[],"instruction":"COPY","json":false,"startLine":3}"#,
                #"{"arguments":["python","./hello.py"],"endLine":4,"flags":[],"heredocs":[],"instruction":"CMD","json":true,"startLine":4}"#,
            ])
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                XCTAssertNotNil(object?["instruction"], line)
            }
            XCTAssertEqual(r.stderr, "", "no warnings for the lecture's Dockerfile")

            let text = Harness.hutch(["build", "--check", dir], as: user)
            XCTAssertStatus(text, 0)
            XCTAssertEqual(text.stdout, "Check complete, no warnings found.\n")
        }
    }

    func testErrorsAndWarnings() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "check")
            defer { Harness.removeTree(dir, as: user) }
            try write("FROM busybox\nWORKDIR /tmp\n\nCOPPY . .\n", to: dir + "/Dockerfile", as: user)
            var r = Harness.hutch(["build", "--check", dir], as: user)
            XCTAssertStatus(r, 1)
            XCTAssertEqual(r.stderr, "Error: Dockerfile:4: unknown instruction: COPPY (did you mean COPY?)\n")
            XCTAssertEqual(r.stdout, "")

            // -f names another file: messages use that name.
            try write("FROM busybox\nCOPY --chwn=1 a b\n", to: dir + "/app.Dockerfile", as: user)
            r = Harness.hutch(["build", "--check", "-f", dir + "/app.Dockerfile", dir], as: user)
            XCTAssertStatus(r, 1)
            XCTAssertEqual(r.stderr, "Error: \(dir)/app.Dockerfile:2: unknown flag: --chwn (did you mean --chown?)\n")

            try write("FROM busybox\nRUN <<EOF\necho never ends\n", to: dir + "/heredoc.Dockerfile", as: user)
            r = Harness.hutch(["build", "--check", "-f", dir + "/heredoc.Dockerfile", dir], as: user)
            XCTAssertStatus(r, 1)
            XCTAssertTrue(r.stderr.hasPrefix("Error: \(dir)/heredoc.Dockerfile:2: unterminated heredoc EOF"), r.stderr)

            r = Harness.hutch(["build", "--check", dir + "/missing"], as: user)
            XCTAssertStatus(r, 1)
            XCTAssertTrue(r.stderr.hasPrefix("Error: unable to prepare context"), r.stderr)

            // Warnings do not fail the check.
            try write("FROM busybox AS Base\nMAINTAINER me\nCMD echo hi\n", to: dir + "/warn.Dockerfile", as: user)
            r = Harness.hutch(["build", "--check", "-f", dir + "/warn.Dockerfile", dir], as: user)
            XCTAssertStatus(r, 0)
            for rule in ["StageNameCasing", "MaintainerDeprecated", "JSONArgsRecommended"] {
                XCTAssertTrue(r.stdout.contains(rule), "\(rule) in \(r.stdout)")
            }
            XCTAssertTrue(r.stdout.hasSuffix("Check complete, 3 warnings have been found!\n"), r.stdout)

            // A broken .dockerignore is an error, as it would fail the build.
            try write(lecture, to: dir + "/Dockerfile", as: user)
            try write("[unterminated\n", to: dir + "/.dockerignore", as: user)
            r = Harness.hutch(["build", "--check", dir], as: user)
            XCTAssertStatus(r, 1)
            XCTAssertTrue(r.stderr.contains("syntax error in pattern [unterminated"), r.stderr)

            // The Dockerfile on stdin.
            try write("*.pyc\n!keep.pyc\n", to: dir + "/.dockerignore", as: user)
            r = Harness.hutch(["build", "--check", "--format", "json", "-f", "-", dir], as: user,
                              stdin: "from alpine\nrun <<EOF\nls\nEOF\n")
            XCTAssertStatus(r, 0)
            XCTAssertTrue(r.stdout.contains(#""heredocs":[{"chomp":false,"content":"ls\n","expand":true,"name":"EOF"}]"#), r.stdout)
        }
    }

    func testBuildOfAFolderWithoutDockerfileSaysSo() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "check")
            defer { Harness.removeTree(dir, as: user) }
            let r = Harness.hutch(["build", "-t", "x", "--no-cache", "--build-arg", "A=1", dir], as: user)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertEqual(r.stderr, "Error: unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat \(dir)/Dockerfile: no such file or directory\n")
        }
    }
}
