import XCTest
import Store

final class StorePlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
