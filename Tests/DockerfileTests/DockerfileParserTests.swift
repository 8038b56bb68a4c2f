import XCTest
@testable import Dockerfile

final class DockerfileParserTests: XCTestCase {
    func nodes(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [InstructionNode] {
        try DockerfileParser.parse(text).instructions
    }

    /// (Dockerfile text, [(name, flags, arguments, json)]) for the syntax corners.
    func testSplittingTable() throws {
        typealias Expect = (String, [String], [String], Bool)
        let cases: [(String, [Expect])] = [
            ("FROM busybox", [("FROM", [], ["busybox"], false)]),
            ("from busybox AS Build", [("from", [], ["busybox", "AS", "Build"], false)]),
            ("FROM --platform=$BUILDPLATFORM golang:1.22 AS b", [("FROM", ["--platform=$BUILDPLATFORM"], ["golang:1.22", "AS", "b"], false)]),
            ("RUN echo hi", [("RUN", [], ["echo hi"], false)]),
            ("RUN   echo   hi  ", [("RUN", [], ["echo   hi"], false)]),
            ("RUN [\"echo\", \"hi\"]", [("RUN", [], ["echo", "hi"], true)]),
            ("RUN [\"echo\", \"hi\"] trailing", [("RUN", [], ["echo", "hi"], true)]),
            ("RUN [\"echo\", 'hi']", [("RUN", [], ["[\"echo\", 'hi']"], false)]),
            ("RUN [\"unterminated", [("RUN", [], ["[\"unterminated"], false)]),
            ("RUN []", [("RUN", [], [], true)]),
            ("CMD [\"a\\\"b\", \"\\u00e9\"]", [("CMD", [], ["a\"b", "é"], true)]),
            ("RUN --mount=type=cache,target=/root/.cache pip install x", [("RUN", ["--mount=type=cache,target=/root/.cache"], ["pip install x"], false)]),
            ("RUN --network=none --mount=type=tmpfs,target=/t true", [("RUN", ["--network=none", "--mount=type=tmpfs,target=/t"], ["true"], false)]),
            ("RUN --flag=\"a b\" x", [("RUN", ["--flag=a b"], ["x"], false)]),
            ("RUN -- --notaflag", [("RUN", [], ["--notaflag"], false)]),
            ("RUN -x", [("RUN", [], ["-x"], false)]),
            ("COPY --from=builder /a /b", [("COPY", ["--from=builder"], ["/a", "/b"], false)]),
            ("COPY --chown=1:1 --chmod=755 a b c/", [("COPY", ["--chown=1:1", "--chmod=755"], ["a", "b", "c/"], false)]),
            ("COPY [\"a b\", \"/c\"]", [("COPY", [], ["a b", "/c"], true)]),
            ("COPY \"a b\" /c", [("COPY", [], ["\"a", "b\"", "/c"], false)]),
            ("ADD --checksum=sha256:abc https://x/y.tgz /y", [("ADD", ["--checksum=sha256:abc"], ["https://x/y.tgz", "/y"], false)]),
            ("ENV a=1 b=\"2 3\" c=4\\ 5", [("ENV", [], ["a", "1", "b", "\"2 3\"", "c", "4\\ 5"], false)]),
            ("ENV key value with spaces", [("ENV", [], ["key", "value with spaces"], false)]),
            ("ENV key=", [("ENV", [], ["key", ""], false)]),
            ("LABEL \"com.x\"=\"y\" v=1", [("LABEL", [], ["\"com.x\"", "\"y\"", "v", "1"], false)]),
            ("ARG VERSION", [("ARG", [], ["VERSION"], false)]),
            ("ARG A=1 B=\"two words\"", [("ARG", [], ["A=1", "B=\"two words\""], false)]),
            ("EXPOSE 80 443/tcp  53/udp", [("EXPOSE", [], ["80", "443/tcp", "53/udp"], false)]),
            ("VOLUME /a /b", [("VOLUME", [], ["/a", "/b"], false)]),
            ("VOLUME [\"/data\"]", [("VOLUME", [], ["/data"], true)]),
            ("USER app:app", [("USER", [], ["app:app"], false)]),
            ("WORKDIR /path with space", [("WORKDIR", [], ["/path with space"], false)]),
            ("STOPSIGNAL SIGTERM", [("STOPSIGNAL", [], ["SIGTERM"], false)]),
            ("MAINTAINER Jane <j@x>", [("MAINTAINER", [], ["Jane <j@x>"], false)]),
            ("SHELL [\"/bin/bash\", \"-c\"]", [("SHELL", [], ["/bin/bash", "-c"], true)]),
            ("HEALTHCHECK NONE", [("HEALTHCHECK", [], ["NONE"], false)]),
            ("HEALTHCHECK --interval=5s CMD curl -f x", [("HEALTHCHECK", ["--interval=5s"], ["CMD", "curl -f x"], false)]),
            ("HEALTHCHECK CMD [\"curl\", \"x\"]", [("HEALTHCHECK", [], ["CMD", "curl", "x"], true)]),
            ("ENTRYPOINT [\"/init\"]", [("ENTRYPOINT", [], ["/init"], true)]),
            ("ONBUILD RUN echo x", [("ONBUILD", [], ["RUN", "echo x"], false)]),
            ("ONBUILD COPY [\"a\", \"b\"]", [("ONBUILD", [], ["COPY", "a", "b"], true)]),
            ("FOO bar baz", [("FOO", [], [], false)]),
            // continuations, comments, blank lines
            ("RUN a \\\n    b", [("RUN", [], ["a     b"], false)]),
            ("RUN a \\\n# comment\n  b", [("RUN", [], ["a   b"], false)]),
            ("RUN a \\\n\n  b", [("RUN", [], ["a   b"], false)]),
            ("RUN a \\  \n b", [("RUN", [], ["a  b"], false)]),
            ("RUN a \\\\\nRUN b", [("RUN", [], ["a \\\\"], false), ("RUN", [], ["b"], false)]),
            ("RUN a\\\n", [("RUN", [], ["a"], false)]),
            ("# comment\n\n   # indented comment\nRUN x # not a comment", [("RUN", [], ["x # not a comment"], false)]),
            ("RUN a\r\nRUN b\r\n", [("RUN", [], ["a"], false), ("RUN", [], ["b"], false)]),
            ("\u{FEFF}FROM x", [("FROM", [], ["x"], false)]),
            ("  \t FROM x", [("FROM", [], ["x"], false)]),
        ]
        for (text, expected) in cases {
            let parsed = try nodes(text)
            XCTAssertEqual(parsed.count, expected.count, "count for \(text.debugDescription)")
            for (node, e) in zip(parsed, expected) {
                XCTAssertEqual(node.name, e.0, text.debugDescription)
                XCTAssertEqual(node.flags, e.1, text.debugDescription)
                XCTAssertEqual(node.arguments, e.2, text.debugDescription)
                XCTAssertEqual(node.isJSON, e.3, text.debugDescription)
            }
        }
    }

    func testLineNumbers() throws {
        let text = "# c\nFROM x\n\nRUN a \\\n  b \\\n\n  c\n# tail\nCMD [\"x\"]\n"
        let n = try nodes(text)
        XCTAssertEqual(n.map(\.startLine), [2, 4, 9])
        XCTAssertEqual(n.map(\.endLine), [2, 7, 9])
        XCTAssertEqual(n[2].comments, ["tail"])
    }

    func testDirectives() throws {
        var s = try DockerfileParser.parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n  b")
        XCTAssertEqual(s.directives, ["syntax": "docker/dockerfile:1", "escape": "`"])
        XCTAssertEqual(s.escapeCharacter, "`")
        XCTAssertEqual(s.instructions[1].arguments, ["a   b"])
        // A backslash is an ordinary character with the backtick escape.
        s = try DockerfileParser.parse("# escape=`\nFROM x\nRUN dir c:\\\nRUN y")
        XCTAssertEqual(s.instructions.count, 3)
        // Directives only count at the very top.
        s = try DockerfileParser.parse("FROM x\n# escape=`\nRUN a \\\n b")
        XCTAssertEqual(s.escapeCharacter, "\\")
        XCTAssertEqual(s.instructions.count, 2)
        s = try DockerfileParser.parse("# a comment\n# escape=`\nFROM x")
        XCTAssertEqual(s.escapeCharacter, "\\")
        s = try DockerfileParser.parse("\n# escape=`\nFROM x")
        XCTAssertEqual(s.escapeCharacter, "\\")
        s = try DockerfileParser.parse("#ESCAPE = `\nFROM x")
        XCTAssertEqual(s.escapeCharacter, "`")
        s = try DockerfileParser.parse("# unknown=1\n# escape=`\nFROM x")
        XCTAssertEqual(s.escapeCharacter, "\\")
        XCTAssertThrowsError(try DockerfileParser.parse("# escape=`\n# escape=\\\nFROM x")) {
            XCTAssertEqual(String(describing: $0), "Dockerfile:2: only one escape parser directive can be used")
        }
        XCTAssertThrowsError(try DockerfileParser.parse("# escape=x\nFROM x")) {
            XCTAssertTrue(String(describing: $0).hasPrefix("Dockerfile:1: invalid escape token 'x'"))
        }
    }

    func testHeredocs() throws {
        let text = """
        FROM x
        RUN <<EOF
        echo "$HOME"
        EOF
        RUN <<-EOT bash
        \t\techo tabbed
        \tEOT
        COPY <<"A" <<'B' /dest/
        one $x
        A
        two
        B
        RUN 3<<EOF cat /proc/self/fd/3
        fd
        EOF
        RUN ["echo", "<<EOF"]
        RUN cat<<EOF
        RUN <<E"O"F
        x
        EOF
        """
        let n = try nodes(text)
        XCTAssertEqual(n.count, 8)
        XCTAssertEqual(n[1].heredocs, [Heredoc(name: "EOF", content: "echo \"$HOME\"\n", expand: true, chomp: false)])
        XCTAssertEqual(n[1].arguments, ["<<EOF"])
        XCTAssertEqual(n[1].endLine, 4)
        XCTAssertEqual(n[2].heredocs[0].chomp, true)
        XCTAssertEqual(n[2].heredocs[0].content, "\t\techo tabbed\n")
        XCTAssertEqual(n[2].heredocs[0].body, "echo tabbed\n")
        XCTAssertEqual(n[3].heredocs.map(\.name), ["A", "B"])
        XCTAssertEqual(n[3].heredocs.map(\.expand), [false, false])
        XCTAssertEqual(n[3].heredocs.map(\.content), ["one $x\n", "two\n"])
        XCTAssertEqual(n[3].arguments, ["<<\"A\"", "<<'B'", "/dest/"])
        XCTAssertEqual(n[4].heredocs[0].fileDescriptor, 3)
        XCTAssertEqual(n[5].heredocs, [], "no heredocs in JSON form")
        XCTAssertEqual(n[6].heredocs, [], "cat<<EOF is not a heredoc word")
        XCTAssertEqual(n[7].heredocs.first?.name, "EOF")
        XCTAssertEqual(n[7].heredocs.first?.expand, false)
        XCTAssertEqual(n[7].startLine, 18)
        XCTAssertEqual(n[7].endLine, 20)
    }

    func testHeredocExpansionOfBody() throws {
        let expanding = Heredoc(name: "EOF", content: "a=$A 'q' \"$A\"\n", expand: true)
        XCTAssertEqual(try expanding.expandedBody(env: ["A": "1"]), "a=1 'q' \"1\"\n")
        let literal = Heredoc(name: "EOF", content: "a=$A\n", expand: false)
        XCTAssertEqual(try literal.expandedBody(env: ["A": "1"]), "a=$A\n")
    }

    func testErrorsNameTheFileAndLine() {
        let cases: [(String, String)] = [
            ("FROM x\nRUN <<EOF\nno end\n", "app.Dockerfile:2: unterminated heredoc EOF"),
            ("FROM x\nCMD [\"a\", 1]", "app.Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"),
            ("FROM x\nCMD [null]", "app.Dockerfile:2: when using JSON array syntax"),
            ("FROM x\nENV onlykey", "app.Dockerfile:2: ENV must have two arguments"),
            ("FROM x\nENV a=1 b", "app.Dockerfile:2: Syntax error - can't find = in \"b\". Must be of the form: name=value"),
            ("", "app.Dockerfile: file with no instructions"),
            ("# only a comment\n\n", "app.Dockerfile: file with no instructions"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try DockerfileParser.parse(text, file: "app.Dockerfile"), text.debugDescription) { error in
                XCTAssertTrue(String(describing: error).hasPrefix(expected), "\(text.debugDescription): \(error)")
                XCTAssertTrue(error is DockerfileError)
            }
        }
    }

    func testWarningsFromTheParser() throws {
        let s = try DockerfileParser.parse("FROM x\nRUN a \\\n\n b\nRUN c \\")
        XCTAssertEqual(s.warnings.map(\.rule), ["NoEmptyContinuation", "ContinuationAtEndOfFile"])
        XCTAssertEqual(s.warnings.map(\.line), [2, 5])
    }

    func testHostileInputNeverCrashes() {
        let huge = "RUN " + String(repeating: "x", count: 1_000_000)
        let inputs: [String] = [
            "FROM x\n\u{0}\u{0}RUN \u{0}", "FROM x\nRUN [\"\u{0}\"]", huge, "FROM x\n" + huge,
            String(repeating: "RUN a \\\n", count: 20_000), "FROM x\nCOPY <<", "FROM x\nRUN <<\"EOF",
            "FROM x\nRUN <<EOF <<EOF2\nEOF\n", "\\", "`", "#", "# escape=`", "FROM x\nRUN [" + String(repeating: "[", count: 50_000),
            "FROM x\nLABEL \"a=b", "FROM x\nENV \"", "FROM x\nONBUILD", "FROM x\nONBUILD ONBUILD RUN x",
            "FROM x\nHEALTHCHECK", "FROM x\nHEALTHCHECK --interval= CMD x", "FROM \u{FFFD}\u{FFFD}",
            "FROM x\nCOPY --from=\"unterminated a b", "FROM x\nRUN --mount=type=\"bind a",
        ]
        for text in inputs {
            _ = try? DockerfileParser.parse(text)
            _ = try? Dockerfile.parse(text)
        }
        // Invalid UTF-8 is read as U+FFFD, not rejected.
        let bytes: [UInt8] = Array("FROM x\nRUN echo ".utf8) + [0xff, 0xfe, 0xc3] + Array("\n".utf8)
        XCTAssertEqual(try DockerfileParser.parse(bytes: bytes).instructions[1].arguments, ["echo \u{FFFD}\u{FFFD}\u{FFFD}"])
        // Truncations of a real file parse or fail with a located error.
        let full = RealWorldDockerfiles.python
        var i = full.startIndex
        while i < full.endIndex {
            do { _ = try Dockerfile.parse(String(full[..<i])) } catch {
                XCTAssertTrue(error is DockerfileError, "\(error)")
            }
            i = full.index(i, offsetBy: 97, limitedBy: full.endIndex) ?? full.endIndex
        }
    }
}
