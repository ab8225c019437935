// schema.sql, beside this file, is the one copy of the schema. Package.swift embeds it in this
// module (resources: .embedInCode), so every binary carries the schema with it: a Lambda zip
// and the container image have no repository or resource bundle to read it from.

extension Schema {
    /// The text of `schema.sql`.
    public static let sql = String(decoding: PackageResources.schema_sql, as: UTF8.self)
}
