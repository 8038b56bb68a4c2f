import XCTest
@testable import Dockerfile

final class ShellWordExpanderTests: XCTestCase {
    let env = ["PWD": "/home", "SHELL": "bash", "EMPTY": "", "FILE": "archive.tar.gz",
               "PATH_": "/usr/local/bin:/usr/bin", "SPACED": "a b  c", "X": "x"]

    func testExpansionTable() throws {
        let cases: [(String, String)] = [
            ("hello", "hello"),
            ("$PWD", "/home"),
            ("${PWD}", "/home"),
            ("$PWD/x", "/home/x"),
            ("${PWD}x", "/homex"),
            ("$PWDx", ""),
            ("$UNSET", ""),
            ("${UNSET}", ""),
            ("$", "$"),
            ("a$", "a$"),
            ("$.", "$."),
            ("$1", ""),
            ("\\$PWD", "$PWD"),
            ("\\\\$PWD", "\\/home"),
            ("'$PWD'", "$PWD"),
            ("\"$PWD\"", "/home"),
            ("\"'$PWD'\"", "'/home'"),
            ("'\"$PWD\"'", "\"$PWD\""),
            ("\"a\\\"b\"", "a\"b"),
            ("\"a\\b\"", "a\\b"),
            ("\"a\\$b\"", "a$b"),
            ("a\\ b", "a b"),
            ("a\\", "a"),
            // :- and - : unset versus empty
            ("${UNSET:-def}", "def"),
            ("${EMPTY:-def}", "def"),
            ("${X:-def}", "x"),
            ("${UNSET-def}", "def"),
            ("${EMPTY-def}", ""),
            ("${X-def}", "x"),
            // :+ and +
            ("${UNSET:+alt}", ""),
            ("${EMPTY:+alt}", ""),
            ("${X:+alt}", "alt"),
            ("${UNSET+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${X+alt}", "alt"),
            // nested words
            ("${UNSET:-$PWD/x}", "/home/x"),
            ("${UNSET:-${SHELL:-no}}", "bash"),
            ("${UNSET:-'a}b'}", "a}b"),
            ("${UNSET:-\\}}", "}"),
            // patterns
            ("${FILE#*.}", "tar.gz"),
            ("${FILE##*.}", "gz"),
            ("${FILE%.*}", "archive.tar"),
            ("${FILE%%.*}", "archive"),
            ("${FILE#archive}", ".tar.gz"),
            ("${FILE#nomatch}", "archive.tar.gz"),
            ("${FILE%.gz}", "archive.tar"),
            ("${FILE#?}", "rchive.tar.gz"),
            ("${FILE%?}", "archive.tar.g"),
            ("${PATH_#*:}", "/usr/bin"),
            ("${PATH_%:*}", "/usr/local/bin"),
            ("${UNSET#x}", ""),
            ("${FILE#\\*}", "archive.tar.gz"),
            // replacement
            ("${FILE/tar/zip}", "archive.zip.gz"),
            ("${FILE/a/A}", "Archive.tar.gz"),
            ("${FILE//a/A}", "Archive.tAr.gz"),
            ("${FILE/*./}", "gz"),
            ("${FILE/nomatch/x}", "archive.tar.gz"),
            ("${PATH_//\\//_}", "_usr_local_bin:_usr_bin"),
            ("${UNSET/a/b}", ""),
            // special parameters are looked up, not kept
            ("$@", ""),
            ("$$", ""),
            ("${X:?}", "x"),
            ("${EMPTY?}", ""),
        ]
        let shell = ShellWordExpander()
        for (input, expected) in cases {
            XCTAssertEqual(try shell.expand(input, env: env), expected, "expanding \(input)")
        }
    }

    func testWordSplittingHappensAfterExpansion() throws {
        let shell = ShellWordExpander()
        let cases: [(String, [String])] = [
            ("a b", ["a", "b"]),
            ("  a   b  ", ["a", "b"]),
            ("$SPACED", ["a", "b", "c"]),
            ("\"$SPACED\"", ["a b  c"]),
            ("'a b' c", ["a b", "c"]),
            ("a\\ b c", ["a b", "c"]),
            ("x$SPACED", ["xa", "b", "c"]),
            ("\"\"", []),
            ("", []),
            ("8080/tcp $X", ["8080/tcp", "x"]),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try shell.expandWords(input, env: env), expected, "splitting \(input)")
        }
    }

    func testBacktickEscape() throws {
        let shell = ShellWordExpander(escapeCharacter: "`")
        XCTAssertEqual(try shell.expand("C:\\path\\$X", env: env), "C:\\path\\x")
        XCTAssertEqual(try shell.expand("`$X", env: env), "$X")
        XCTAssertEqual(try shell.expand("\"a`\"b\"", env: env), "a\"b")
    }

    func testErrors() {
        let shell = ShellWordExpander()
        let cases: [(String, String)] = [
            ("${", "missing '}'"),
            ("${X", "missing '}'"),
            ("${X:-abc", "missing '}'"),
            ("${}", "bad substitution"),
            ("${:}", "bad substitution"),
            ("${{X}}", "bad substitution"),
            ("${X:x}", "unsupported modifier (:x)"),
            ("${X:#a}", "unsupported modifier (:#)"),
            ("${X^}", "unsupported modifier (^)"),
            ("'abc", "matching single-quote"),
            ("\"abc", "matching double-quote"),
            ("${UNSET?}", "UNSET: is not allowed to be unset"),
            ("${EMPTY:?must be set}", "EMPTY: must be set"),
            ("${X/abc", "missing '/'"),
            ("${X/a/b", "missing '}'"),
            ("${X#\\q}", "invalid escape"),
        ]
        for (input, fragment) in cases {
            XCTAssertThrowsError(try shell.expand(input, env: env), "expanding \(input)") { error in
                XCTAssertTrue(String(describing: error).contains(fragment), "\(input): \(error)")
                XCTAssertTrue(String(describing: error).hasPrefix("failed to process"), "\(input): \(error)")
            }
        }
    }

    func testDeeplyNestedSubstitutionFailsCleanly() {
        let depth = 100_000
        let input = String(repeating: "${A:-", count: depth) + "x" + String(repeating: "}", count: depth)
        XCTAssertThrowsError(try ShellWordExpander().expand(input, env: [:])) { error in
            XCTAssertTrue(String(describing: error).contains("nested"), "\(error)")
        }
        let fine = String(repeating: "${A:-", count: 50) + "x" + String(repeating: "}", count: 50)
        XCTAssertEqual(try ShellWordExpander().expand(fine, env: [:]), "x")
    }

    func testTrackingReportsUsedAndUnsetNames() throws {
        let r = try ShellWordExpander().expandTracking("$X ${NOPE:-a} $EMPTY", env: env)
        XCTAssertEqual(r.used, ["X", "EMPTY"])
        XCTAssertEqual(r.unset, ["NOPE"])
    }

    func testSkipUnsetKeepsReferences() throws {
        var shell = ShellWordExpander()
        shell.skipUnsetVariables = true
        XCTAssertEqual(try shell.expand("$NOPE ${NOPE} ${NOPE:-d} $X", env: env), "$NOPE ${NOPE} ${NOPE:-d} x")
    }

    func testHostileInputNeverCrashes() {
        let inputs = ["\u{0}$X\u{0}", String(repeating: "$", count: 10_000), String(repeating: "\\", count: 10_001),
                      String(repeating: "a", count: 200_000) + "$X", "${X/*/\u{FFFD}}", "${\u{1F600}}",
                      String(repeating: "'", count: 9_999), "${X#" + String(repeating: "*", count: 500) + "}"]
        for input in inputs {
            _ = try? ShellWordExpander().expand(input, env: env)
            _ = try? ShellWordExpander().expandWords(input, env: env)
        }
    }
}
