import XCTest
@testable import OCI

final class DigestTests: XCTestCase {
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func testSHA256OfBytes() {
        XCTAssertEqual(Digest.sha256(of: []).description, "sha256:" + empty)
        XCTAssertEqual(Digest.sha256(of: Array("abc".utf8)).hex,
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var h = DigestHasher()
        h.update(Array("a".utf8)); h.update(Array("bc".utf8))
        XCTAssertEqual(h.finalize(), Digest.sha256(of: Array("abc".utf8)))
        XCTAssertEqual(h.count, 3)
    }

    func testParsing() throws {
        let good = ["sha256:" + empty, "sha512:" + String(repeating: "ab", count: 64)]
        for g in good { XCTAssertEqual(try Digest(parsing: g).description, g) }
        let bad = ["", "sha256", "sha256:", ":" + empty, "sha256:" + empty.uppercased(), "sha256:" + empty + "0",
                   "sha256:" + empty.dropLast(), "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:../../etc/passwd",
                   "SHA256:" + empty, "sha256:" + empty.dropLast() + "g", "sha256:" + empty + "\n",
                   "sha256:" + String(repeating: "é", count: 32), "sha512:" + empty]
        for b in bad {
            XCTAssertThrowsError(try Digest(parsing: b), "accepted \(b.debugDescription)") { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid digest"), "\(error)")
            }
        }
    }

    func testShortHexAndCodable() throws {
        let d = try Digest(parsing: "sha256:" + empty)
        XCTAssertEqual(d.shortHex, "e3b0c44298fc")
        let data = try JSONEncoder().encode([d])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"sha256:\(empty)\"]")
        XCTAssertEqual(try JSONDecoder().decode([Digest].self, from: data), [d])
        XCTAssertThrowsError(try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:zz\"]".utf8)))
    }
}
