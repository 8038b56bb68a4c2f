import XCTest
import Containers

final class ContainersPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
