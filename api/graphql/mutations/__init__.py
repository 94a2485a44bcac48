"""The root `Mutation`: editors' writes over the services REST's writes use, and `login`.

Every mutation needs `Authorization: Bearer <token>` (but `login`, which gives one), commits
its own transaction, and answers the object as it now is; a failure is an error with the
contract's code and nothing of it is kept.
"""

import strawberry

from api.graphql.mutations.auth import AuthMutations
from api.graphql.mutations.directory import DirectoryMutations
from api.graphql.mutations.publications import PublicationMutations


@strawberry.type
class Mutation(AuthMutations, PublicationMutations, DirectoryMutations):
    pass
