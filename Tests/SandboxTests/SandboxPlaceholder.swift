import XCTest
import Sandbox

final class SandboxPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
