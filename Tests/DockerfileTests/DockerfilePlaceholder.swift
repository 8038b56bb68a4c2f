import XCTest
import Dockerfile

final class DockerfilePlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
