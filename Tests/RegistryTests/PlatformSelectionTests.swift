import XCTest
import OCI
@testable import Registry

final class PlatformSelectionTests: XCTestCase {
    func entry(_ hex: Character, _ platform: Platform?, _ mediaType: String = MediaType.ociManifest) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: try! Digest(sha256Hex: String(repeating: hex, count: 64)), size: 100,
                   platform: platform)
    }

    func testPicksTheWantedPlatformAndSkipsAttestations() throws {
        let index = ImageIndex(manifests: [
            entry("a", Platform(architecture: "unknown", os: "unknown")),
            entry("b", Platform(architecture: "arm64", variant: "v8")),
            entry("c", Platform(architecture: "amd64")),
            entry("d", Platform(architecture: "arm", variant: "v7")),
            entry("e", Platform(architecture: "arm", variant: "v6")),
        ])
        let cases: [(String, Character)] = [("linux/amd64", "c"), ("linux/arm64", "b"), ("linux/arm64/v8", "b"),
                                            ("linux/arm/v6", "e"), ("linux/arm/v7", "d"), ("amd64", "c")]
        for (wanted, hex) in cases {
            let chosen = try ImagePuller.selectManifest(in: index, for: Platform(parsing: wanted), image: "x")
            XCTAssertEqual(chosen.digest.hex.first, hex, wanted)
        }
    }

    func testMissingPlatformNamesWhatThereIs() throws {
        let index = ImageIndex(mediaType: MediaType.dockerManifestList, manifests: [
            entry("a", Platform(architecture: "unknown", os: "unknown")),
            entry("b", Platform(architecture: "arm64", variant: "v8"), MediaType.dockerManifest),
            entry("c", nil),
        ])
        XCTAssertThrowsError(try ImagePuller.selectManifest(in: index, for: Platform(parsing: "linux/amd64"), image: "python:latest")) { error in
            XCTAssertEqual(String(describing: error),
                           "no matching manifest for linux/amd64 in the manifest list entries of python:latest (it has: linux/arm64/v8)")
        }
    }

    func testProgressBarAndSizesLookLikeDockers() {
        XCTAssertEqual(ProgressDisplay.humanSize(512), "512B")
        XCTAssertEqual(ProgressDisplay.humanSize(1050), "1.05kB")
        XCTAssertEqual(ProgressDisplay.humanSize(12_300_000), "12.3MB")
        XCTAssertEqual(ProgressDisplay.humanSize(45_600_000), "45.6MB")
        XCTAssertEqual(ProgressDisplay.humanSize(100_000_000), "100MB")
        let bar = ProgressDisplay.bar(current: 12_300_000, total: 45_600_000)
        XCTAssertEqual(bar, "[=============>" + String(repeating: " ", count: 37) + "]   12.3MB/45.6MB")
        XCTAssertEqual(ProgressDisplay.bar(current: 10, total: 10).filter { $0 == "=" }.count, 50)
        XCTAssertFalse(ProgressDisplay.bar(current: 20, total: 10).isEmpty)
    }
}
