import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// URLSession with the three things a registry client needs that its
/// completion-handler API does not give: bodies streamed to the caller as
/// they arrive (layers are verified and written while downloading),
/// redirects returned instead of followed (so the Authorization header can
/// be dropped when a redirect leaves the registry's host), and a cap on the
/// size of bodies kept in memory.
final class HTTPTransport: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private var session: URLSession!
    private let lock = NSLock()
    private var handlers: [Int: StreamHandler] = [:]

    override init() {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        // Serial: a task's data callbacks must stay in order.
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    func invalidate() { session.finishTasksAndInvalidate() }

    /// Sends `request` and keeps the body in memory, at most `limit` bytes.
    func send(_ request: URLRequest, body: Data? = nil, limit: Int = 4 << 20) async throws -> (Data, HTTPURLResponse) {
        var data = Data()
        let response = try await stream(request, body: body) { _ in true } onData: { chunk in
            guard data.count + chunk.count <= limit else {
                throw RegistryError.protocolViolation("\(request.url?.absoluteString ?? "") sent more than \(limit) bytes")
            }
            data.append(chunk)
        }
        return (data, response)
    }

    /// Sends `request` (with `body`, or the contents of `bodyFile`) and hands
    /// the response to `onResponse`, then each piece of its body to `onData`
    /// (only when onResponse returned true). Runs the callbacks on one
    /// serial queue, in order.
    @discardableResult
    func stream(_ request: URLRequest, body: Data? = nil, bodyFile: URL? = nil,
                onResponse: @escaping (HTTPURLResponse) throws -> Bool,
                onData: @escaping (Data) throws -> Void) async throws -> HTTPURLResponse {
        let handler = StreamHandler(onResponse: onResponse, onData: onData)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPURLResponse, Error>) in
                handler.continuation = continuation
                let task: URLSessionTask
                if let bodyFile {
                    task = session.uploadTask(with: request, fromFile: bodyFile)
                } else if let body {
                    task = session.uploadTask(with: request, from: body)
                } else {
                    task = session.dataTask(with: request)
                }
                handler.task = task
                lock.lock(); handlers[task.taskIdentifier] = handler; lock.unlock()
                task.resume()
            }
        } onCancel: {
            handler.task?.cancel()
        }
    }

    private func handler(for task: URLSessionTask) -> StreamHandler? {
        lock.lock(); defer { lock.unlock() }
        return handlers[task.taskIdentifier]
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let handler = handler(for: dataTask), let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            return
        }
        handler.response = http
        do {
            handler.wantsBody = try handler.onResponse(http)
            completionHandler(.allow)
        } catch {
            handler.failure = error
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let handler = handler(for: dataTask), handler.failure == nil, handler.wantsBody else { return }
        do { try handler.onData(data) } catch {
            handler.failure = error
            dataTask.cancel()
        }
    }

    /// FoundationNetworking turns a 401 with a Basic challenge into an
    /// authentication challenge, and its default handling never completes
    /// the task. hutch answers 401s itself (RegistryClient): keep the 401
    /// response and end the task, as if it had arrived plainly.
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        if let handler = handler(for: task), let response = challenge.failureResponse as? HTTPURLResponse {
            handler.response = response
            handler.challengeResponse = true
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // The caller follows redirects itself (see RegistryClient.send).
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let handler = handlers.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        guard let handler, let continuation = handler.continuation else { return }
        handler.continuation = nil
        if let failure = handler.failure {
            continuation.resume(throwing: failure)
        } else if handler.challengeResponse, let response = handler.response {
            _ = try? handler.onResponse(response)
            continuation.resume(returning: response)
        } else if let error {
            let url = task.originalRequest?.url?.absoluteString ?? "?"
            continuation.resume(throwing: RegistryError.network(url, error.localizedDescription))
        } else if let response = handler.response ?? task.response as? HTTPURLResponse {
            // A redirect refused above completes without didReceive response.
            if handler.response == nil { _ = try? handler.onResponse(response) }
            continuation.resume(returning: response)
        } else {
            continuation.resume(throwing: RegistryError.network(task.originalRequest?.url?.absoluteString ?? "?", "no response"))
        }
    }
}

/// One request's callbacks and state, touched only on the delegate queue
/// (and by the caller before the task starts).
private final class StreamHandler {
    let onResponse: (HTTPURLResponse) throws -> Bool
    let onData: (Data) throws -> Void
    var continuation: CheckedContinuation<HTTPURLResponse, Error>?
    var task: URLSessionTask?
    var response: HTTPURLResponse?
    var wantsBody = false
    var failure: Error?
    /// Set when `response` is a 401 taken from an authentication challenge.
    var challengeResponse = false

    init(onResponse: @escaping (HTTPURLResponse) throws -> Bool, onData: @escaping (Data) throws -> Void) {
        self.onResponse = onResponse
        self.onData = onData
    }
}
