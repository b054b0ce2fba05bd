"""docs/settings.md lists every setting the code reads, with the code's default; it and
sample.env name only settings that exist."""

import ast
import re
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMPTY = ""
# Read by no settings module: manage.py, wsgi.py and asgi.py choose the module; compose itself
# reads COMPOSE_FILE.
READ_ELSEWHERE: dict[str, set[str]] = {"DJANGO_SETTINGS_MODULE": set(), "COMPOSE_FILE": set()}


def spelled(value: object) -> str:
    """A default as an env file writes it."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def literal(node: ast.expr) -> object:
    """A default written as a literal (``15 * 60`` included); ValueError for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return literal(node.left) * literal(node.right)  # type: ignore[operator]
    return ast.literal_eval(node)


def settings_reads() -> dict[str, set[str]]:
    """Each variable the settings modules read (``env.<type>(NAME, ...)`` and
    ``_int_between(NAME, default, ...)``), with the defaults the code writes as literals."""
    reads: dict[str, set[str]] = {}
    for path in (ROOT / "referral_system" / "settings").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func, name = node.func, node.args[0]
            from_env = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "env"
            bounded = isinstance(func, ast.Name) and func.id == "_int_between"
            if not (from_env or bounded) or not isinstance(name, ast.Constant):
                continue
            assert isinstance(name.value, str), ast.unparse(node)
            defaults = reads.setdefault(name.value, set())
            given = [k.value for k in node.keywords if k.arg == "default"] + node.args[1:2]
            # A computed default (a path, another setting) is not checked here.
            for default in given[:1]:
                with suppress(ValueError):
                    defaults.add(spelled(literal(default)))
    return reads


def image_reads() -> dict[str, set[str]]:
    """The granian settings the Dockerfile gives the image, with their values."""
    text = (ROOT / "Dockerfile").read_text()
    return {name: {value} for name, value in re.findall(r"\b(GRANIAN_\w+)=(\S+)", text)}


def compose_reads() -> dict[str, set[str]]:
    """``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}`` in the compose files."""
    reads: dict[str, set[str]] = {}
    for path in ROOT.glob("docker-compose*.yml"):
        for name, op, rest in re.findall(r"\$\{(\w+)(:?[-?])?([^}]*)\}", path.read_text()):
            reads.setdefault(name, set()).update({rest} if op.endswith("-") else set())
    return reads


def known_settings() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for reads in (settings_reads(), image_reads(), compose_reads(), READ_ELSEWHERE):
        for name, defaults in reads.items():
            known.setdefault(name, set()).update(defaults)
    return known


def documented() -> dict[str, str]:
    """docs/settings.md's table rows: name -> its default cell."""
    rows: dict[str, str] = {}
    for line in (ROOT / "docs" / "settings.md").read_text().splitlines():
        match = re.match(r"\| `(\w+)` \| ([^|]*) \|", line)
        if match:
            assert match[1] not in rows, f"{match[1]} is listed twice"
            rows[match[1]] = match[2]
    return rows


def test_every_setting_is_documented_with_the_codes_default() -> None:
    rows = documented()
    assert len(rows) > 50  # the table was read
    for name, defaults in known_settings().items():
        assert name in rows, f"{name} is read but not in docs/settings.md"
        for default in defaults:
            shown = f"`{default}`" if default != EMPTY else "empty"
            assert shown in rows[name], f"{name}: the code's default is {shown}: {rows[name]}"


def test_docs_and_sample_env_name_only_real_settings() -> None:
    known = known_settings()
    assert sorted(set(documented()) - set(known)) == []
    sample = (ROOT / "sample.env").read_text()
    names = re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", sample, re.MULTILINE)
    assert len(names) > 10  # the file was read
    assert sorted(set(names) - set(known)) == []
