from __future__ import annotations

import subprocess
import sys

import openai_agents_session


def test_all_names_exist() -> None:
    """Every name in __all__ resolves, including the lazily imported backends."""
    for name in openai_agents_session.__all__:
        assert getattr(openai_agents_session, name) is not None


def test_all_is_sorted_and_static() -> None:
    """__all__ is a sorted literal list, not built from whatever imported."""
    names = openai_agents_session.__all__
    assert names == sorted(names)
    assert "RedisSession" in names


def test_import_does_not_import_redis() -> None:
    """Importing the package loads no optional driver until a backend is used."""
    code = "import sys, openai_agents_session; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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


def test_unknown_attribute_raises_attribute_error() -> None:
    """Names outside __all__ are an AttributeError, as for any module."""
    try:
        openai_agents_session.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
