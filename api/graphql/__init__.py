"""The public GraphQL API at `/graphql`: strawberry on the same services as REST."""
