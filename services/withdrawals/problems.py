"""The withdrawals API's domain errors as RFC 9457 problems: 404, 409, 422 naming the field."""

from services.withdrawals.domain import InvalidInput, InvalidTransition, UnknownAggregate
from shared.web.json_bodies import ApiBlueprint
from shared.web.problems import Problem, problem_response


def domain_problems(blp: ApiBlueprint) -> None:
    blp.register_error_handler(
        UnknownAggregate, lambda e: problem_response(Problem(404, detail=f"{str(e).capitalize()}."))
    )
    blp.register_error_handler(
        InvalidTransition,
        lambda e: problem_response(Problem(409, detail=f"{str(e).capitalize()}.")),
    )
    blp.register_error_handler(
        InvalidInput, lambda e: problem_response(Problem(422, errors={e.field: [e.message]}))
    )
