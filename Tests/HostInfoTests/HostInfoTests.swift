import XCTest
import HostInfo
