import XCTest
import UnionFS

final class UnionFSPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
