import XCTest
import OCI

final class OCIPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
