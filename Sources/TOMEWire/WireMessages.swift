// The v1 request and response bodies, exactly as they travel over HTTP.
// The simulator serves them and the client speaks them; nothing else is shared.

/// `POST /v1/namespaces/{ns}/tokens:issue`: ask for `count` fresh tokens.
public struct IssueTokensRequest: Codable, Sendable, Equatable {
    public var count: Int
    /// The same id always returns the same tokens, so a retried call leaks nothing.
    public var requestId: String

    public init(count: Int, requestId: String) {
        self.count = count
        self.requestId = requestId
    }
}

public struct IssueTokensResponse: Codable, Sendable, Equatable {
    public var tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }
}

/// `POST /v1/namespaces/{ns}/tokenize`: convergent, a value always gets the same token.
public struct TokenizeRequest: Codable, Sendable, Equatable {
    public var values: [String]
    public var requestId: String?

    public init(values: [String], requestId: String?) {
        self.values = values
        self.requestId = requestId
    }
}

public struct TokenMapping: Codable, Sendable, Equatable {
    public var value: String
    public var token: String

    public init(value: String, token: String) {
        self.value = value
        self.token = token
    }
}

public struct TokenizeResponse: Codable, Sendable, Equatable {
    public var tokens: [TokenMapping]

    public init(tokens: [TokenMapping]) {
        self.tokens = tokens
    }
}

/// `POST /v1/namespaces/{ns}/detokenize`.
public struct DetokenizeRequest: Codable, Sendable, Equatable {
    public var tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }
}

public struct ValueMapping: Codable, Sendable, Equatable {
    public var token: String
    public var value: String

    public init(token: String, value: String) {
        self.token = token
        self.value = value
    }
}

public struct DetokenizeResponse: Codable, Sendable, Equatable {
    public var values: [ValueMapping]
    /// Tokens the namespace does not know; absent when every token was known.
    public var unknown: [String]?

    public init(values: [ValueMapping], unknown: [String]?) {
        self.values = values
        self.unknown = unknown
    }
}

/// `GET /v1/namespaces/{ns}`: used to check that a namespace is onboarded before relying on it.
public struct NamespaceInfo: Codable, Sendable, Equatable {
    public var name: String
    public var exists: Bool
    public var maxBatchSize: Int

    public init(name: String, exists: Bool, maxBatchSize: Int) {
        self.name = name
        self.exists = exists
        self.maxBatchSize = maxBatchSize
    }
}

/// The body of every error answer: `{"error": {"code": "…", "message": "…"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
