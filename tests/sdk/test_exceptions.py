"""PlatformException picks the subclass for a status, keeps dtlpy's string status, pickles."""

import pickle

import pytest

from conveyor import exceptions as ex


@pytest.mark.parametrize(
    "status, cls",
    [
        ("400", ex.BadRequest),
        (401, ex.Unauthorized),
        ("403", ex.Forbidden),
        (404, ex.NotFound),
        ("408", ex.RequestTimeout),
        ("409", ex.Conflict),
        ("424", ex.FailedDependency),
        ("500", ex.InternalServerError),
        ("600", ex.TokenExpired),
        ("418", ex.UnknownException),
    ],
)
def test_platform_exception_builds_the_subclass_for_the_status(status, cls):
    err = ex.PlatformException(status, "boom")
    assert type(err) is cls
    assert err.status_code == str(status)
    assert err.status == int(status)
    assert err.message == "boom"
    with pytest.raises(cls):
        raise ex.PlatformException(status, "boom")


def test_subclasses_default_their_status_and_accept_dtlpy_keywords():
    assert ex.NotFound(message="gone").status_code == "404"
    assert ex.Conflict(status_code="409", message="dup").message == "dup"
    assert isinstance(ex.TokenExpired(message="x"), ex.Unauthorized)
    assert issubclass(ex.PlatformException, ex.ConveyorError)


def test_exceptions_survive_pickling():
    err = pickle.loads(pickle.dumps(ex.PlatformException("409", "dup")))
    assert type(err) is ex.Conflict and err.message == "dup"
    gone = pickle.loads(pickle.dumps(ex.ServerUnreachable("http://h:1/api/v1/x", "refused")))
    assert gone.url == "http://h:1/api/v1/x"


def test_server_unreachable_is_a_connection_error_naming_url_and_fix():
    err = ex.ServerUnreachable("http://127.0.0.1:9/api/v1/projects", "connection refused")
    assert isinstance(err, ConnectionError) and isinstance(err, ex.ConveyorError)
    assert "http://127.0.0.1:9/api/v1/projects" in str(err)
    assert "conveyor up" in str(err)
