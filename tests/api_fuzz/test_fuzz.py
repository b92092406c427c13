"""Schemathesis over every operation of ``/api/openapi.json``, for each role, over real HTTP.

Roles: an anonymous resident, the staff, planner and admin of kelurahan A (logged in through the login
form, sending the session's CSRF token on writes), and an Open311 client with an API key (Open311
operations only). For each operation and role, positive and negative cases are generated (seeded:
``derandomize``), with real resources of every kelurahan mixed into the parameters the description
marks as resources; for users of A on kelurahan-scoped operations, further cases aim only at B and C.

Every response must pass: no server error, a documented status code and content type, a body that
matches the documented schema, and no success across kelurahan (:mod:`tests.api_fuzz.checks`).

``SIGKEL_FUZZ_EXAMPLES`` (default 6) scales the examples per operation and role for a longer run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.exceptions import HTTPException

from gis.config import project_root
from tests.api_fuzz.checks import Scope, marked_fields, resource_values, sent_text
from webmap.apidoc import document, openapi_path

pytestmark = pytest.mark.slow

DOCUMENT = document()
OPERATIONS = [(p, m) for p, item in DOCUMENT["paths"].items() for m in item]
ROLES = ("anonymous", "staff_a", "planner_a", "admin_a", "open311_client")
HOME_ROLES = ("staff_a", "planner_a", "admin_a")
EXAMPLES = int(os.environ.get("SIGKEL_FUZZ_EXAMPLES", "6"))
FOREIGN_EXAMPLES = 3
# operations that take a second or more per call (a report, a PDF, a hot spot run): fewer examples
SLOW = {"evaluation_report": 2, "evaluation_dashboard": 3}
TALLY: Counter = Counter()


def _params():
    for role in ROLES:
        for path, method in OPERATIONS:
            if role == "open311_client" and not path.startswith("/open311/"):
                continue
            yield pytest.param(role, path, method, id=f"{role}-{method.upper()}-{path}")


@pytest.fixture(scope="module")
def api_schema(fuzz_world):
    """The description as the server serves it."""
    schema = schemathesis.openapi.from_url(f"{fuzz_world.base_url}/api/openapi.json")
    yield schema
    out = project_root() / "test-artifacts" / "api-fuzz.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"|".join(k): v for k, v in sorted(TALLY.items())}, indent=1))


@pytest.fixture(scope="module")
def endpoints(fuzz_world) -> dict[tuple[str, str], str]:
    """(OpenAPI path, METHOD) -> the Flask endpoint that serves it."""
    out = {}
    for rule in fuzz_world.app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out[(openapi_path(rule.rule), method)] = rule.endpoint
    return out


def _aim(base, definition: dict, pools: dict[str, list], force: bool):
    """Cases from ``base`` whose resource parameters take real values (always when ``force``)."""
    marked = marked_fields(definition)

    @st.composite
    def cases(draw):
        case = draw(base)
        for where, name, kind in marked:
            values = pools.get(kind)
            if not values or not (force or draw(st.booleans())):
                continue
            value = draw(st.sampled_from(values))
            if where == "body" and isinstance(case.body, dict):
                case.body = {**case.body, name: value}
            elif where == "path":
                case.path_parameters = {**(case.path_parameters or {}), name: value}
            elif where == "query":
                case.query = {**(case.query or {}), name: value}
        return case

    return cases()


class Exercise:
    """Sends a case as one role and checks the response."""

    def __init__(self, world, role: str, path: str, method: str, endpoint: str):
        self.world, self.role, self.path, self.method = world, role, path, method.upper()
        self.definition = DOCUMENT["paths"][path][method]
        self.endpoint = endpoint
        self.session = world.sessions[role]
        self.scoped = role in HOME_ROLES and self.definition.get("x-sigkel-scope") == "kelurahan"
        self.scope = Scope(world.engine, world.home)
        self.adapter = world.app.url_map.bind("127.0.0.1")

    def __call__(self, case, aimed: bool = False) -> None:
        if self.role == "open311_client" and self.method == "POST" and isinstance(case.body, dict):
            case.body = {**case.body, "api_key": self.world.api_key}
        response = case.call(
            base_url=self.world.base_url,
            session=self.session,
            allow_redirects=False,
            timeout=120,
        )
        key = (self.role, f"{self.method} {self.path}")
        TALLY[(*key, "examples")] += 1
        TALLY[(*key, "aimed at B/C")] += aimed
        TALLY[(*key, str(response.status_code))] += 1
        if not self._routed_here(response):  # e.g. /open311/v2/{rest} = discovery.json: another operation
            TALLY[(*key, "routed elsewhere")] += 1
            case.validate_response(response, checks=[not_a_server_error])
            return
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
                self.no_cross_kelurahan_success,
            ],
        )

    def _routed_here(self, response) -> bool:
        try:
            endpoint, _ = self.adapter.match(unquote(urlsplit(response.request.url).path), self.method)
        except HTTPException:  # 404 or 405 from the routing itself: this operation's answer
            return True
        return endpoint == self.endpoint

    def no_cross_kelurahan_success(self, ctx, response, case) -> None:
        if not self.scoped:
            return
        foreign = self.scope.foreign_references(self.definition, case)
        if foreign and response.status_code < 400:
            raise AssertionError(
                f"{self.role} (kelurahan {self.world.home}) got {response.status_code} for a resource of "
                f"another kelurahan: {foreign}"
            )
        leaked = self.scope.leaks(response, sent_text(response))
        if leaked:
            raise AssertionError(f"{self.role}: the response shows another kelurahan's {leaked[:10]}")


def _strategy(operation):
    """Valid and invalid cases (an operation with nothing to make invalid draws only valid ones)."""
    return st.one_of(
        operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )


def _run(strategy, examples: int, exercise: Exercise, aimed: bool = False) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case):
        exercise(case, aimed)

    fuzz()


@pytest.mark.parametrize(("role", "path", "method"), list(_params()))
def test_operation(api_schema, fuzz_world, endpoints, role, path, method):
    operation = api_schema[path][method]
    exercise = Exercise(fuzz_world, role, path, method, endpoints[(path, method.upper())])
    definition = exercise.definition
    base = _strategy(operation)
    examples = SLOW.get(definition["operationId"], EXAMPLES)
    _run(_aim(base, definition, fuzz_world.pools, force=False), examples, exercise)
    if exercise.scoped and marked_fields(definition):
        _run(_aim(base, definition, fuzz_world.foreign, force=True), FOREIGN_EXAMPLES, exercise, aimed=True)


@pytest.mark.parametrize(
    ("path", "values", "message"),
    [
        ("/api/tiket/{ticket}", lambda w: {"ticket": w.foreign["ticket"][0]}, "for a resource of another"),
        ("/api/layers/{layer}.geojson", lambda w: {"layer": "kelurahan"}, "shows another kelurahan"),
    ],
)
def test_the_scope_check_catches_what_crosses_kelurahan(
    api_schema, fuzz_world, endpoints, path, values, message
):
    """The custom check bites: public operations, checked as if they were scoped, fail it (B's ticket
    is a 200; the kelurahan layer names B and C)."""
    from schemathesis.core.failures import FailureGroup

    exercise = Exercise(fuzz_world, "staff_a", path, "get", endpoints[(path, "GET")])
    exercise.scoped = True
    case = api_schema[path]["GET"].Case(path_parameters=values(fuzz_world))
    counted = TALLY.copy()
    with pytest.raises(FailureGroup, match=message):
        exercise(case)
    TALLY.clear()
    TALLY.update(counted)  # not part of the fuzzing's counts


def test_resource_values_are_read_from_the_case():
    class Case:
        path_parameters = {"complaint_id": 7}
        query = {"kelurahan": "31.71.05.1002"}
        body = {"tiket": "LP-AAAA-BBBB"}

    definition = DOCUMENT["paths"]["/petugas/laporan/{complaint_id}/gabung"]["post"]
    assert resource_values(definition, Case()) == [("complaint-id", 7), ("ticket", "LP-AAAA-BBBB")]
