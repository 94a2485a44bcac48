"""How errors appear in the OpenAPI document: problem details, by status."""

from typing import Any

from api.rest.schemas import Problem

ProblemResponses = dict[int | str, dict[str, Any]]

NOT_FOUND: ProblemResponses = {404: {"model": Problem, "description": "No such resource."}}
INVALID: ProblemResponses = {
    422: {"model": Problem, "description": "A parameter is out of range or malformed; "
          "`errors` names it."},
}  # fmt: skip
