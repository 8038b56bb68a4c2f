import XCTest
@testable import Registry

final class AuthChallengeTests: XCTestCase {
    func testParsesWellFormedHeaders() {
        let cases: [(String, [AuthChallenge])] = [
            (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull""#,
             [AuthChallenge(scheme: "bearer", parameters: ["realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                                                           "scope": "repository:library/python:pull"])]),
            (#"Basic realm="hutch-test""#, [AuthChallenge(scheme: "basic", parameters: ["realm": "hutch-test"])]),
            (#"bEaReR  REALM = "r" , Service=s"#, [AuthChallenge(scheme: "bearer", parameters: ["realm": "r", "service": "s"])]),
            (#"Basic realm="a", Bearer realm="b",service="c""#,
             [AuthChallenge(scheme: "basic", parameters: ["realm": "a"]),
              AuthChallenge(scheme: "bearer", parameters: ["realm": "b", "service": "c"])]),
            (#"Bearer realm="with \"quotes\" and \\ backslash""#,
             [AuthChallenge(scheme: "bearer", parameters: ["realm": #"with "quotes" and \ backslash"#])]),
            ("Bearer", [AuthChallenge(scheme: "bearer")]),
            (#"Bearer realm="x",realm="y""#, [AuthChallenge(scheme: "bearer", parameters: ["realm": "x"])]),
            (#"Bearer scope="repository:a:pull repository:b:pull""#,
             [AuthChallenge(scheme: "bearer", parameters: ["scope": "repository:a:pull repository:b:pull"])]),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(AuthChallenge.parse(header), expected, header)
        }
    }

    func testRefusesBrokenAndHostileHeaders() {
        let hostile = [
            "",
            "   ",
            #"Bearer realm="unterminated"#,
            #"Bearer realm="#,
            #"Bearer realm=,service=x"#,
            "Bearer realm=\"line\nbreak\"",
            "Bearer realm=\"nul\u{0}byte\"",
            #"Bearer realm="x" junk"#,
            #"Bearer realm="x\"#,
            "=\"value\"",
            #""quoted-scheme" realm="x""#,
            "Bearer realm=\"" + String(repeating: "a", count: 10_000) + "\"",
            String(repeating: "Bearer realm=\"x\", ", count: 1000),
            "Bearer \u{1F600}=x",
        ]
        for header in hostile {
            XCTAssertEqual(AuthChallenge.parse(header), [], "should refuse: \(header.prefix(60))")
        }
    }

    func testTruncatedHeadersNeverCrash() {
        let full = #"Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull,push""#
        for n in 0...full.count {
            _ = AuthChallenge.parse(String(full.prefix(n)))
        }
    }
}
