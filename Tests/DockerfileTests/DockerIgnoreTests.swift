import XCTest
@testable import Dockerfile

final class DockerIgnoreTests: XCTestCase {
    /// (pattern, path, matches) for single patterns: Go filepath.Match rules
    /// as moby/patternmatcher applies them (including its ** extensions).
    func testPatternTable() throws {
        let cases: [(String, String, Bool)] = [
            ("foo", "foo", true),
            ("foo", "foobar", false),
            ("foo", "bar/foo", false),
            ("*", "foo", true),
            ("*", "foo/bar", false),
            ("*.go", "main.go", true),
            ("*.go", "cmd/main.go", false),
            ("*/*.go", "cmd/main.go", true),
            ("?", "a", true),
            ("?", "ab", false),
            ("?", "/", false),
            ("a?c", "abc", true),
            ("a?c", "a/c", false),
            ("[abc]", "b", true),
            ("[abc]", "d", false),
            ("[a-c]x", "bx", true),
            ("[^a-c]x", "dx", true),
            ("[^a-c]x", "ax", false),
            ("[\\]]", "]", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("a\\?", "a?", true),
            ("**", "anything/at/all", true),
            ("**/foo", "foo", true),
            ("**/foo", "a/b/foo", true),
            ("**/foo", "afoo", false),
            ("foo/**", "foo/a/b", true),
            ("foo/**", "foo", false),            // the folder itself stays, its content goes
            ("foo**", "foobar/x", true),
            ("**/*.go", "a/b/c.go", true),
            ("**/*.go", "c.go", true),
            ("**/*.go", "a/c.txt", false),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "a/xb", false),
            ("a/**/*.txt", "a/x/y.txt", true),
            ("dir/*.md", "dir/README.md", true),
            ("dir/*.md", "dir/sub/README.md", false),
            ("a.b", "axb", false),
            ("a+b", "a+b", true),
            ("(x)", "(x)", true),
            ("$x", "$x", true),
            ("日本*", "日本語", true),
        ]
        for (pattern, path, expected) in cases {
            let p = try PathPattern(pattern)
            XCTAssertEqual(p.matches(path), expected, "\(pattern) against \(path)")
        }
    }

    func testBadPatterns() {
        for bad in ["[", "[a", "[]", "[]a]", "[-a]", "[a-]", "a\\", "[\\"] {
            XCTAssertThrowsError(try PathPattern(bad), bad)
        }
        XCTAssertThrowsError(try DockerIgnore(patterns: ["!"]))
        XCTAssertThrowsError(try DockerIgnore(parsing: "ok\n[bad\n"))
    }

    func testFileParsing() throws {
        let text = "\u{FEFF}# comment\n\n  node_modules  \n/build\n./dist/\n!dist/keep.txt\n   # not a comment\n! /x\n"
        let ignore = try DockerIgnore(parsing: text)
        XCTAssertEqual(ignore.patterns.map(\.pattern), ["node_modules", "build", "dist", "dist/keep.txt", "# not a comment", "x"])
        XCTAssertEqual(ignore.patterns.map(\.exclusion), [false, false, false, true, false, true])
    }

    func testExclusionAndParentSemantics() throws {
        let cases: [([String], String, Bool)] = [
            (["foo"], "foo", true),
            (["foo"], "foo/bar/baz", true),           // a parent directory matches
            (["foo", "!foo/bar"], "foo/bar", false),
            (["foo", "!foo/bar"], "foo/bar/x", false),
            (["foo", "!foo/bar"], "foo/baz", true),
            (["*.md", "!README.md"], "README.md", false),
            (["*.md", "!README.md"], "CHANGES.md", true),
            (["*.md", "!README.md", "README*"], "README.md", true), // the last match wins
            (["**/*.log"], "a/b/c.log", true),
            (["**/*.log", "!**/keep.log"], "a/keep.log", false),
            (["*", "!src"], "src/main.swift", false),
            (["*", "!src"], "docs/x", true),
            (["!foo"], "foo", false),
            ([".git"], ".gitignore", false),
            ([".git"], ".git/config", true),
            (["dir/"], "dir/file", true),
            (["a/../b"], "b", true),
            ([], "anything", false),
        ]
        for (patterns, path, expected) in cases {
            let ignore = try DockerIgnore(patterns: patterns)
            XCTAssertEqual(ignore.isExcluded(path), expected, "\(patterns) on \(path)")
        }
        XCTAssertFalse(try DockerIgnore(patterns: ["*"]).isExcluded("."))
        XCTAssertTrue(try DockerIgnore(patterns: ["a"]).isExcluded("./a/"))
    }

    func testWalkerHints() throws {
        let ignore = try DockerIgnore(patterns: ["vendor", "!vendor/keep/*", "build"])
        XCTAssertTrue(ignore.mayIncludeSomethingBelow("vendor"))
        XCTAssertTrue(ignore.mayIncludeSomethingBelow("vendor/keep"))
        XCTAssertFalse(ignore.mayIncludeSomethingBelow("build"))
        XCTAssertTrue(try DockerIgnore(patterns: ["x", "!**/y"]).mayIncludeSomethingBelow("x"))
        XCTAssertEqual(DockerIgnore.candidatePaths(dockerfile: "ctx/app.Dockerfile", contextDirectory: "ctx"),
                       ["ctx/app.Dockerfile.dockerignore", "ctx/.dockerignore"])
    }

    func testCleanPath() {
        let cases = [("", "."), ("./a", "a"), ("a//b/", "a/b"), ("/a/../b", "/b"), ("../a", "../a"), ("a/./b/..", "a")]
        for (input, expected) in cases { XCTAssertEqual(cleanPath(input), expected, input) }
    }

    func testHostilePatternsStayFast() throws {
        let p = try PathPattern(String(repeating: "*a", count: 200) + "b")
        XCTAssertFalse(p.matches(String(repeating: "a", count: 2_000)))
        let ignore = try DockerIgnore(parsing: String(repeating: "x\n", count: 10_000) + "\u{0}\n")
        XCTAssertTrue(ignore.isExcluded("x"))
    }
}
