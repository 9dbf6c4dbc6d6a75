"""Schemathesis over our OpenAPI schema (/api/schema/), in process against the WSGI app: no input, valid or
not, gives a 5xx (security review #13). Runs as a rider, a street staff member and the dispatch worker, in
positive and negative generation, with a bounded number of examples per operation (~1 minute in all)."""

from collections.abc import Callable, Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from accounts.services import api_token_create

pytestmark = pytest.mark.integration
EXAMPLES_PER_OPERATION = 5


@pytest.fixture
def wsgi_app(db) -> Iterator[Callable]:
    """The project's WSGI app on the test's connection: like Django's test client, it must not close the
    connection (and so the test's transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    handler = WSGIHandler()

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        environ["REMOTE_ADDR"] = environ.get("REMOTE_ADDR") or "127.0.0.1"  # as any real server sets it
        return handler(environ, start_response)

    try:
        yield app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _server_errors(app: Callable, new_token: Callable[[], str]) -> list[str]:
    """Run every operation of the schema; return "<status> <method> <path>: <reproduction>" per 5xx.

    Each case gets a fresh token: a generated `POST /api/v1/auth/logout/` revokes the one it was sent
    with, and every later case would then only reach the authentication layer (401)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    found: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case) -> None:
                response = case.call(headers={"Authorization": f"Bearer {new_token()}"})
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:  # schemathesis raises a group of check failures
                    found.append(f"{response.status_code} {case.method} {case.formatted_path}: {exc}"[:1500])
                    print("FUZZ-5XX", response.status_code, case.method, case.formatted_path, flush=True)

            try:
                run()
            except Unsatisfiable:  # no negative case exists for an operation without parameters or body
                continue
    print("FUZZ statuses", dict(sorted(statuses.items())), flush=True)
    # The run must reach the views: most answers are not "who are you?".
    assert statuses.get(401, 0) < sum(statuses.values()) / 4, statuses
    return found


@pytest.mark.parametrize("persona", ["rider", "staff_a", "dispatcher"])
def test_no_generated_request_gives_a_server_error(request, wsgi_app, persona, categories_loaded):
    user = request.getfixturevalue(persona)
    errors = _server_errors(wsgi_app, lambda: api_token_create(user=user, name="fuzz")[1])
    assert errors == [], f"{len(errors)} server errors:\n" + "\n\n".join(errors)


@pytest.fixture
def categories_loaded(db):
    from reports.services import categories_ensure

    return categories_ensure()
