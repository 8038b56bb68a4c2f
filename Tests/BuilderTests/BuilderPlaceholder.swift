import XCTest
import Builder

final class BuilderPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
