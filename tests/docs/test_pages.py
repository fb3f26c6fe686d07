"""What the pages state about the code matches the code, so the docs cannot quietly drift."""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

import openai_agents_session.errors
from openai_agents_session import RedisSession, RedisSessionStore
from openai_agents_session.cli import main
from openai_agents_session.redis import acl_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest installs tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# The sections of the user's description of the Redis backend, in its order.
SPEC_SECTIONS = [
    "Overview",
    "Installation",
    "Basic usage",
    "Configuration options",
    "RedisSession parameters",
    "Key prefix",
    "TTL (time to live)",
    "TTL refresh",
    "Redis client configuration",
    "Connection URL",
    "Connection pool",
    "Cluster mode",
    "Data storage format",
    "Operations",
    "Get items",
    "Add items",
    "Pop item",
    "Clear session",
    "Production deployment",
    "Redis Sentinel (high availability)",
    "AWS ElastiCache",
    "Redis Cloud",
    "Monitoring",
    "Check key existence",
    "Get TTL",
    "Memory usage",
    "Best practices",
    "Troubleshooting",
    "Connection refused",
    "Timeout errors",
    "Memory issues",
]


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(markdown: str) -> list[str]:
    return re.findall(r"^#{2,4} (.+)$", markdown, flags=re.MULTILINE)


def split_row(line: str) -> list[str]:
    """Split a table row at its pipes, except those inside code spans (as Markdown does)."""
    cells, cell, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += char
    return [*cells, cell.strip()]


def table_rows(markdown: str, after: str) -> list[list[str]]:
    """The body rows of the first table after the line ``after``, cells stripped."""
    start = markdown.index(after)
    rows = []
    for line in markdown[start:].splitlines()[1:]:
        if line.startswith("|"):
            rows.append(split_row(line))
        elif rows:
            break
    return rows[2:]  # without the header and the line under it


def test_redis_page_covers_the_spec_in_its_order() -> None:
    """Every section of the spec is a heading of the Redis page, in the spec's order."""
    found = headings(page("backends/redis.md"))
    positions = []
    for section in SPEC_SECTIONS:
        assert section in found, f"the Redis page has no section {section!r}"
        positions.append(found.index(section))
    assert positions == sorted(positions), "the Redis page's sections are out of the spec's order"


def test_redis_options_table_lists_every_constructor_parameter() -> None:
    """The options table names every parameter of RedisSession, with its real default."""
    rows = table_rows(page("backends/redis.md"), "### RedisSession parameters")
    documented = {row[0].strip("`"): row[2] for row in rows}
    parameters = inspect.signature(RedisSession.__init__).parameters
    expected = [name for name in parameters if name != "self"]
    assert list(documented) == expected
    for name in expected:
        default = parameters[name].default
        shown = "required" if default is inspect.Parameter.empty else f"`{default!r}`"
        shown = shown.replace("'", '"')
        assert documented[name] == shown, f"{name}: documented {documented[name]}, is {shown}"


def test_store_methods_are_documented() -> None:
    """Every public method of RedisSessionStore appears on the Operations page."""
    text = page("operations.md")
    methods = [
        name
        for name, value in vars(RedisSessionStore).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, classmethod))
    ]
    missing = [name for name in methods if f"{name}(" not in text]
    assert not missing, f"undocumented RedisSessionStore methods: {missing}"


def test_errors_page_draws_the_tree_of_errors_py() -> None:
    """The Errors page's tree is the one in the errors module's docstring."""
    docstring = inspect.getdoc(openai_agents_session.errors) or ""
    tree = re.search(r"```\n(SessionError.*?)```", docstring, flags=re.DOTALL)
    shown = re.search(r"```text\n(SessionError.*?)```", page("errors.md"), flags=re.DOTALL)
    assert tree is not None and shown is not None
    assert shown.group(1) == tree.group(1)


def test_errors_page_explains_every_exception() -> None:
    """Each exception of the package has a row saying when it is raised."""
    rows = table_rows(page("errors.md"), "## When each is raised")
    documented = sorted(row[0].strip("`") for row in rows)
    assert documented == sorted(set(openai_agents_session.errors.__all__) - {"SessionError"})


def test_production_acl_is_what_acl_rules_returns() -> None:
    """The ACL the production guide shows is exactly the one the library computes."""
    block = re.search(r"```text\n(ACL SETUSER.*?)```", page("production.md"), flags=re.DOTALL)
    assert block is not None
    assert " ".join(block.group(1).split()) == f"ACL SETUSER app on >password {acl_rules()}"


def test_installation_lists_every_extra() -> None:
    """The extras table of the Installation page names exactly the extras pyproject.toml has."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    rows = table_rows(page("installation.md"), "## Extras")
    assert sorted(row[0].strip("`") for row in rows) == sorted(extras)


def test_switching_section_names_only_real_migrate_options() -> None:
    """Every option the README's switching section names is one that migrate accepts."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- --8<-- [start:switching] -->")
    section = readme[start : readme.index("<!-- --8<-- [end:switching] -->", start)]
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", section))
    assert {"--from", "--from-prefix", "--dry-run"} <= named
    with redirect_stdout(io.StringIO()) as help_text:
        assert main(["migrate", "--help"]) == 0
    accepted = set(re.findall(r"(--[a-z][a-z-]+)", help_text.getvalue()))
    assert named <= accepted, f"not options of migrate: {sorted(named - accepted)}"


def test_redis_page_includes_the_switching_section() -> None:
    """The Redis page shows the README's section rather than a copy that could drift."""
    assert '--8<-- "README.md:switching"' in page("backends/redis.md")


# --------------------------------------------------------------------------------------------
# DynamoDB: the IAM policies the page shows grant what the backend's code calls
# --------------------------------------------------------------------------------------------

DYNAMODB_PACKAGE = ROOT / "src" / "openai_agents_session" / "dynamodb"
# The functions that only create and check the table: their calls belong to the setup role.
DYNAMODB_SETUP_FUNCTIONS = {
    "create_table_if_not_exists",
    "_wait_active",
    "_enable_ttl",
    "_add_owner_index",
}
# Transactions have no IAM action of their own: each action inside one is authorized alone.
TRANSACTIONS = {"transact_write_items", "transact_get_items"}
# What authorizes each action inside a TransactWriteItems or TransactGetItems.
TRANSACTION_ACTIONS = {
    "Get": "GetItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def dynamodb_actions() -> tuple[set[str], set[str]]:
    """The IAM actions the backend's calls need: (at run time, to set up the table)."""
    runtime: set[str] = set()
    setup: set[str] = set()
    for path in sorted(DYNAMODB_PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            target = setup if function.name in DYNAMODB_SETUP_FUNCTIONS else runtime
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "client"
                ):
                    operation = node.func.attr
                    if operation in TRANSACTIONS:
                        continue  # authorized through the actions it holds, below
                    target.add("".join(part.title() for part in operation.split("_")))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for dict_key in node.keys:
                    if isinstance(dict_key, ast.Constant) and dict_key.value in TRANSACTION_ACTIONS:
                        runtime.add(TRANSACTION_ACTIONS[dict_key.value])
    return runtime, setup


def policy_actions(markdown: str, after: str, index: int) -> set[str]:
    """The actions of the ``index``-th JSON policy after the line ``after``."""
    start = markdown.index(after)
    blocks = re.findall(r"```json\n(.*?)```", markdown[start:], flags=re.DOTALL)
    policy = json.loads(blocks[index])
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    assert all(action.startswith("dynamodb:") for action in actions)
    return {action.removeprefix("dynamodb:") for action in actions}


def test_dynamodb_action_collector_sees_the_backends_calls() -> None:
    """The collector finds the calls the backend is known to make: it is not blind."""
    runtime, setup = dynamodb_actions()
    assert {"Query", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"} <= runtime
    assert {"CreateTable", "UpdateTimeToLive", "DescribeTimeToLive"} <= setup


def test_dynamodb_iam_policy_grants_every_call_of_the_backend() -> None:
    """The application's policy allows every action sessions send, and no table setup."""
    runtime, setup = dynamodb_actions()
    granted = policy_actions(page("backends/dynamodb.md"), "## IAM policy", 0)
    assert runtime <= granted, f"missing from the policy: {sorted(runtime - granted)}"
    assert not (setup - runtime) & granted, "the application's policy grants table setup"


def test_dynamodb_setup_policy_grants_what_create_table_if_not_exists_calls() -> None:
    """The setup role's policy allows every action creating and checking the table sends."""
    _, setup = dynamodb_actions()
    granted = policy_actions(page("backends/dynamodb.md"), "## IAM policy", 1)
    assert setup <= granted, f"missing from the setup policy: {sorted(setup - granted)}"


def test_errors_page_maps_every_dynamodb_error_code_as_the_driver_does() -> None:
    """The DynamoDB table of the Errors page lists exactly the codes the boundary maps, alike."""
    from openai_agents_session.dynamodb import _driver

    rows = table_rows(page("errors.md"), "## DynamoDB errors")
    documented = {row[0].strip("`"): row[1].split(";")[0].strip("`") for row in rows}
    expected = {code: cls.__name__ for code, cls in _driver.CLIENT_ERROR_CODES.items()}
    assert documented == expected


def test_errors_page_maps_botocores_own_errors_as_the_driver_does() -> None:
    """The botocore table of the Errors page names the classes the boundary maps, alike."""
    from openai_agents_session.dynamodb import _driver

    rows = table_rows(page("errors.md"), "botocore's own errors, raised before")
    documented = {name.strip(" `"): row[1].strip("`") for row in rows for name in row[0].split(",")}
    expected = {
        **{cls.__name__: "ConfigurationError" for cls in _driver._CONFIGURATION_ERRORS},
        **{cls.__name__: "BackendUnavailableError" for cls in _driver._UNREACHABLE_ERRORS},
        "any other": "BackendError",
    }
    assert documented == expected


def test_dynamodb_parameters_table_lists_every_constructor_parameter() -> None:
    """The DynamoDB page's parameters table names every parameter, with its real default."""
    from openai_agents_session import DynamoDBSession

    rows = table_rows(page("backends/dynamodb.md"), "## DynamoDBSession parameters")
    documented = {row[0].strip("`"): row[2] for row in rows}
    parameters = inspect.signature(DynamoDBSession.__init__).parameters
    expected = [name for name in parameters if name != "self"]
    assert list(documented) == expected
    for name in expected:
        default = parameters[name].default
        shown = "required" if default is inspect.Parameter.empty else f"`{default!r}`"
        assert documented[name] == shown, f"{name}: documented {documented[name]}, is {shown}"


def test_dynamodb_0_1_0_section_names_only_real_migrate_options() -> None:
    """Every option the CLI page's 0.1.0 DynamoDB section names is one that migrate accepts."""
    text = page("cli.md")
    start = text.index("### From 0.1.0's DynamoDB table")
    section = text[start : text.index("## `demo`", start)]
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", section))
    assert {"--region", "--endpoint-url", "--profile", "--delete-source", "--dry-run"} <= named
    with redirect_stdout(io.StringIO()) as help_text:
        assert main(["migrate", "--help"]) == 0
    accepted = set(re.findall(r"(--[a-z][a-z-]+)", help_text.getvalue()))
    assert named <= accepted, f"not options of migrate: {sorted(named - accepted)}"
