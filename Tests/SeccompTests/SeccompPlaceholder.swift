import XCTest
import Seccomp

final class SeccompPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
