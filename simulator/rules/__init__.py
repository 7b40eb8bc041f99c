"""The platform's rules as pure functions: bytes, settings and an instant in; messages and diagnostics out."""
