from __future__ import annotations

import subprocess
import sys

import openai_agents_session
import openai_agents_session.errors


def test_all_names_exist() -> None:
    """Every name in __all__ resolves, including the lazily imported backends."""
    for name in openai_agents_session.__all__:
        assert getattr(openai_agents_session, name) is not None


def test_all_is_sorted_and_static() -> None:
    """__all__ is a sorted literal list, not built from whatever imported."""
    names = openai_agents_session.__all__
    assert names == sorted(names)
    assert "RedisSession" in names
    assert "DynamoDBSession" in names


def test_every_error_is_exported_by_the_package() -> None:
    """Each exception of the errors module can be imported from the package itself."""
    missing = set(openai_agents_session.errors.__all__) - set(openai_agents_session.__all__)
    assert not missing, f"not exported by openai_agents_session: {sorted(missing)}"
    for name in openai_agents_session.errors.__all__:
        assert getattr(openai_agents_session, name) is getattr(openai_agents_session.errors, name)


def test_import_does_not_import_a_driver() -> None:
    """Importing the package loads no optional driver until a backend is used."""
    code = (
        "import sys, openai_agents_session\n"
        "print(sorted({'redis', 'aiobotocore', 'botocore'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dynamodb_session_is_the_backends_class() -> None:
    """The package's DynamoDBSession is the one the dynamodb backend defines."""
    from openai_agents_session.dynamodb import DynamoDBSession

    assert openai_agents_session.DynamoDBSession is DynamoDBSession


def test_missing_redis_extra_names_the_extra_to_install() -> None:
    """Without redis-py, using RedisSession raises an ImportError naming the [redis] extra."""
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import openai_agents_session\n"
        "try:\n"
        "    openai_agents_session.RedisSession\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingDependencyError")
    assert 'pip install "openai-agents-session[redis]"' in out.stdout


def test_missing_dynamodb_extra_names_the_extra_to_install() -> None:
    """Without aiobotocore, using DynamoDBSession raises an ImportError naming [dynamodb]."""
    code = (
        "import sys; sys.modules['aiobotocore'] = None\n"
        "import openai_agents_session\n"
        "try:\n"
        "    openai_agents_session.DynamoDBSession\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingDependencyError")
    assert 'pip install "openai-agents-session[dynamodb]"' in out.stdout


def test_unknown_attribute_raises_attribute_error() -> None:
    """Names outside __all__ are an AttributeError, as for any module."""
    try:
        openai_agents_session.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
