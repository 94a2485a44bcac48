"""How errors appear in the OpenAPI document: problem details, by status."""

from typing import Any

from api.rest.schemas import Problem

ProblemResponses = dict[int | str, dict[str, Any]]

NOT_FOUND: ProblemResponses = {404: {"model": Problem, "description": "No such resource."}}
INVALID: ProblemResponses = {
    422: {"model": Problem, "description": "A parameter is out of range or malformed; "
          "`errors` names it."},
}  # fmt: skip
UNAUTHENTICATED: ProblemResponses = {
    401: {"model": Problem, "description": "No token, or a token that is not valid."},
}
FORBIDDEN: ProblemResponses = {
    403: {"model": Problem, "description": "The role does not allow it."}
}
CONFLICT: ProblemResponses = {409: {"model": Problem, "description": "The slug is taken."}}
STALE: ProblemResponses = {
    412: {"model": Problem, "description": "`If-Match` names an old version: fetch it again."},
    428: {"model": Problem, "description": "`If-Match` is missing."},
}
RATE_LIMITED: ProblemResponses = {
    429: {"model": Problem, "description": "Too many tries: wait `Retry-After` seconds."},
}
