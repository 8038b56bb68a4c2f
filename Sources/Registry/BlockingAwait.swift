import Foundation

/// Runs async work from a synchronous command's `run()`: the CLI's commands
/// are synchronous, and the registry client is async (parallel downloads).
/// The calling thread waits; the work runs on the cooperative pool, so this
/// must not be called from inside an async context.
public func blockingAwait<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
