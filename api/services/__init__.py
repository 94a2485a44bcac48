"""The rules of Colophon, shared by REST, GraphQL and the CLI. Services take a session and
may flush, but never commit: the caller commits once."""
