import XCTest
@testable import OCI

final class ManifestTests: XCTestCase {
    let d1 = "sha256:" + String(repeating: "1", count: 64)
    let d2 = "sha256:" + String(repeating: "2", count: 64)

    func testDockerManifestWithUnknownFields() throws {
        let json = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1470,"digest":"\(d1)"},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":977,"digest":"\(d2)",
                    "somethingNew":true}],
         "futureField":{"x":[1,2]}}
        """
        guard case let .manifest(m) = try ManifestKind.decode(Data(json.utf8)) else { return XCTFail("not a manifest") }
        XCTAssertEqual(m.config.size, 1470)
        XCTAssertEqual(m.layers.map(\.digest.description), [d2])
        XCTAssertTrue(MediaType.isLayer(m.layers[0].mediaType))
        let again = try ImageManifest.decode(m.encoded())
        XCTAssertEqual(again, m)
    }

    func testIndexPicksPlatformSkippingAttestations() throws {
        let json = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(d1)","size":1,
           "platform":{"architecture":"unknown","os":"unknown"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(d2)","size":2,
           "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(d1)","size":3,
           "platform":{"architecture":"amd64","os":"linux","os.features":["x"]}}]}
        """
        guard case let .index(i) = try ManifestKind.decode(Data(json.utf8)) else { return XCTFail("not an index") }
        XCTAssertEqual(i.manifest(for: Platform(architecture: "amd64"))?.size, 3)
        XCTAssertEqual(i.manifest(for: try Platform(parsing: "linux/arm64"))?.size, 2)
        XCTAssertEqual(i.manifest(for: try Platform(parsing: "linux/arm64/v8"))?.size, 2)
        XCTAssertNil(i.manifest(for: try Platform(parsing: "linux/s390x")))
        XCTAssertEqual(i.manifests[2].platform?.osFeatures, ["x"])
    }

    func testBrokenAndHostile() {
        let cases: [(String, String)] = [
            ("", "not valid JSON"),
            ("{", "not valid JSON"),
            ("[]", "manifest"),
            ("{\"schemaVersion\":1,\"config\":{\"digest\":\"\(d1)\",\"size\":1},\"layers\":[]}", "schemaVersion 1"),
            ("{\"schemaVersion\":2,\"layers\":[]}", "missing \"config\""),
            ("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../x\",\"size\":1},\"layers\":[]}", "invalid digest"),
            ("{\"schemaVersion\":2,\"config\":{\"digest\":\"\(d1)\",\"size\":-5},\"layers\":[]}", "negative size"),
            ("{\"schemaVersion\":2,\"config\":{\"digest\":\"\(d1)\",\"size\":\"1\"},\"layers\":[]}", "size"),
            ("{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}", "unsupported media type"),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try ManifestKind.decode(Data(json.utf8)), json) { error in
                XCTAssertTrue("\(error)".contains(message), "\(json): \(error)")
            }
        }
    }

    func testConfigDecoding() throws {
        let json = """
        {"architecture":"amd64","os":"linux","created":"2024-03-01T12:34:56.123456789Z",
         "config":{"Env":["PATH=/usr/bin"],"Cmd":["python3"],"ExposedPorts":{"80/tcp":{}},"WorkingDir":"/app",
                   "Labels":null,"Unknown":1},
         "rootfs":{"type":"layers","diff_ids":["\(d1)","\(d2)"]},
         "history":[{"created":"2024-03-01T12:34:56Z","created_by":"/bin/sh -c #(nop) CMD [\\"python3\\"]","empty_layer":true}]}
        """
        let c = try ImageConfig.decode(Data(json.utf8))
        XCTAssertEqual(c.config?.cmd, ["python3"])
        XCTAssertEqual(c.config?.exposedPorts?.keys.sorted(), ["80/tcp"])
        XCTAssertEqual(c.rootfs.diffIDs.count, 2)
        XCTAssertEqual(c.history?.first?.emptyLayer, true)
        let date = try XCTUnwrap(c.createdDate)
        XCTAssertEqual(date.timeIntervalSince1970, 1709296496.123456789, accuracy: 1e-5)
        XCTAssertEqual(formatRFC3339(Date(timeIntervalSince1970: 1709296496)), "2024-03-01T12:34:56Z")
        let encoded = String(decoding: try c.encoded(), as: UTF8.self)
        XCTAssertTrue(encoded.contains("\"ExposedPorts\":{\"80\\/tcp\":{}}") || encoded.contains("\"ExposedPorts\":{\"80/tcp\":{}}"), encoded)
        XCTAssertThrowsError(try ImageConfig.decode(Data("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}".utf8)))
        XCTAssertThrowsError(try ImageConfig.decode(Data("{\"architecture\":\"amd64\"}".utf8))) { e in
            XCTAssertTrue("\(e)".contains("rootfs"), "\(e)")
        }
    }

    func testPlatformParsing() throws {
        XCTAssertEqual(try Platform(parsing: "linux/amd64").description, "linux/amd64")
        XCTAssertEqual(try Platform(parsing: "linux/x86_64").architecture, "amd64")
        XCTAssertEqual(try Platform(parsing: "linux/arm/v7").variant, "v7")
        for bad in ["", "/", "linux/", "a/b/c/d"] { XCTAssertThrowsError(try Platform(parsing: bad), bad) }
        XCTAssertFalse(Platform.host.architecture.isEmpty)
    }
}
