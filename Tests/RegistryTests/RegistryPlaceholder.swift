import XCTest
import Registry

final class RegistryPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
