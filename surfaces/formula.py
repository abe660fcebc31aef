"""A formula in x and y -> a JAX function, by our own small parser over Python's `ast`.

>>> f = compile_formula("x**2 + 10*y**2")
>>> float(f(jnp.array([1.0, 1.0])))
11.0

What a formula may hold: numbers, ``x``, ``y``, ``+ - * / **``, unary minus,
parentheses, the functions in `FUNCTIONS` (one argument each) and the constants
``pi`` and ``e``. Nothing else passes: no attribute access, no other names, no
keywords, no subscripts, no lambdas. The text is checked for length, characters
and bracket depth before Python's parser sees it, the tree for its node types
and depth after; then it is turned into nested closures over `jax.numpy`, never
into Python code (no `eval`, no `compile`), and no constant is folded in Python,
so ``10**10**10`` is float32 infinity, computed by XLA, not a billion-digit int.
Every refusal is an `OptvizError` with a one-line message.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from optviz.errors import OptvizError, UnknownNameError

MAX_LENGTH = 500  # characters
MAX_DEPTH = 60  # nested brackets, and nested operations in the tree
SMALL_POWER = 64  # x**n with a whole n up to this stays exact (lax.integer_pow)
FLOAT32_MAX = float(np.finfo(np.float32).max)

FUNCTIONS: dict[str, Callable] = {
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "exp": jnp.exp, "log": jnp.log,
    "sqrt": jnp.sqrt, "abs": jnp.abs, "tanh": jnp.tanh, "cosh": jnp.cosh, "sinh": jnp.sinh,
}  # fmt: skip
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
NAMES = (*VARIABLES, *CONSTANTS, *FUNCTIONS)

_BINARY = {ast.Add: jnp.add, ast.Sub: jnp.subtract, ast.Mult: jnp.multiply, ast.Div: jnp.divide}
_SPELLING = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&",
    ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
}  # fmt: skip
_ALLOWED = "numbers, x, y, + - * / **, parentheses and " + " ".join(FUNCTIONS) + ", pi, e"


class FormulaError(OptvizError):
    """A formula that is not one optviz can draw; the message says where and why."""


def _where(text: str, col: int) -> str:
    """' at column N: <formula> with a caret' — one line, the caret under column N."""
    return f" at column {col + 1}: {text[:col]}⟨{text[col : col + 1] or ' '}⟩{text[col + 1 :]}"


def check_text(text: object) -> str:
    """The formula, stripped, if it may be parsed at all: a short one-line string whose
    brackets nest at most `MAX_DEPTH` deep. Checked before `ast.parse` sees it."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula too long: {len(text)} characters (at most {MAX_LENGTH})")
    stripped = text.strip()
    if not stripped:
        raise FormulaError("the formula is empty; write an expression in x and y")
    depth = 0
    for col, ch in enumerate(stripped):
        if not ch.isprintable():
            raise FormulaError(
                f"formula has a character that cannot be printed (U+{ord(ch):04X}) "
                f"at column {col + 1}; a formula is one line of text"
            )
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"formula nests brackets more than {MAX_DEPTH} deep")
        elif ch in ")]}":
            depth -= 1
    return stripped


def parse(text: object) -> ast.expr:
    """The checked syntax tree of a formula (see the module docstring)."""
    text = check_text(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        col = max((err.offset or 1) - 1, 0)
        if err.lineno and err.lineno > 1:  # unclosed bracket: Python points past the end
            col = len(text)
        reason = err.msg or "invalid syntax"
        raise FormulaError(
            f"formula is not valid: {reason}{_where(text, min(col, len(text)))}"
        ) from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise FormulaError(f"formula cannot be read: {type(err).__name__}") from None
    _check_tree(tree.body, text)
    return tree.body


def _check_tree(root: ast.expr, text: str) -> None:
    """Every node one the formula language has, and the tree at most `MAX_DEPTH` deep
    (walked with a stack, never by recursion)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(f"formula nests operations more than {MAX_DEPTH} deep")
        col = getattr(node, "col_offset", 0)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY and not isinstance(node.op, ast.Pow):
                col = _operator_column(node, text)
                _refuse(_SPELLING.get(type(node.op), type(node.op).__name__), text, col)
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                _refuse(_SPELLING.get(type(node.op), type(node.op).__name__), text, col)
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Constant):
            _number(node, text)
        elif isinstance(node, ast.Name):
            if node.id not in NAMES:
                raise UnknownNameError(
                    "name", node.id, NAMES, f"in the formula at column {col + 1}"
                )
            if node.id in FUNCTIONS:
                raise FormulaError(
                    f"{node.id} is a function: write {node.id}(...){_where(text, col)}"
                )
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                _refuse(
                    _describe(func) if isinstance(func, ast.Attribute) else "a call of this",
                    text,
                    col,
                )
            if func.id not in FUNCTIONS:
                if func.id in NAMES:
                    raise FormulaError(f"{func.id} is not a function{_where(text, col)}")
                raise UnknownNameError(
                    "function", func.id, FUNCTIONS, f"in the formula at column {col + 1}"
                )
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                raise FormulaError(f"{func.id} takes one argument{_where(text, col)}")
            stack.append((node.args[0], depth + 1))
        else:
            _refuse(_describe(node), text, col)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.Subscript: "indexing",
        ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
        ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
        ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
        ast.JoinedStr: "a string", ast.NamedExpr: ":=", ast.Starred: "*",
        ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
    }  # fmt: skip
    return kinds.get(type(node), type(node).__name__)


def _operator_column(node: ast.BinOp, text: str) -> int:
    """Where a binary operator is written: the first character between its operands
    that is neither a space nor a closing bracket."""
    lo, hi = node.left.end_col_offset or 0, node.right.col_offset
    for col in range(lo, hi):
        if text[col] not in " )]}":
            return col
    return node.col_offset


def _refuse(what: str, text: str, col: int) -> None:
    hint = "; use ** for powers" if what == "^" else ""
    raise FormulaError(f"{what} is not allowed in a formula{_where(text, col)}{hint}; "
                       f"use {_ALLOWED}")  # fmt: skip


def _number(node: ast.Constant, text: str) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        what = "a string" if isinstance(value, str | bytes) else repr(type(value).__name__)
        raise FormulaError(f"{what} is not a number{_where(text, node.col_offset)}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x) or abs(x) > FLOAT32_MAX:
        where = _where(text, node.col_offset)
        raise FormulaError(f"number too large for float32 (at most {FLOAT32_MAX:.3g}){where}")
    return x


def _build(node: ast.expr) -> Callable:
    """Nested closures (x, y) -> value; the tree was checked, at most MAX_DEPTH deep."""
    if isinstance(node, ast.Constant):
        c = float(node.value)
        return lambda x, y: jnp.float32(c)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x, y: x
        if node.id == "y":
            return lambda x, y: y
        c = CONSTANTS[node.id]
        return lambda x, y: jnp.float32(c)
    if isinstance(node, ast.UnaryOp):
        inner = _build(node.operand)
        if isinstance(node.op, ast.UAdd):
            return inner
        return lambda x, y: -inner(x, y)
    if isinstance(node, ast.Call):
        fn, arg = FUNCTIONS[node.func.id], _build(node.args[0])
        return lambda x, y: fn(arg(x, y))
    left, right = _build(node.left), _build(node.right)
    if isinstance(node.op, ast.Pow):
        n = _whole_power(node.right)
        if n is not None:
            return lambda x, y: left(x, y) ** n  # lax.integer_pow: exact, also for x < 0
        return lambda x, y: jnp.power(left(x, y), right(x, y))
    op = _BINARY[type(node.op)]
    return lambda x, y: op(left(x, y), right(x, y))


def _whole_power(node: ast.expr) -> int | None:
    """n if `node` is a literal whole number (or minus one) with |n| <= SMALL_POWER."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        v = node.value
        if not isinstance(v, bool) and float(v).is_integer() and abs(v) <= SMALL_POWER:
            return sign * int(v)
    return None


def compile_formula(text: object) -> Callable:
    """The formula as ``fn(xy) -> scalar`` (JAX-traceable, float32 like the engine)."""
    body = _build(parse(text))

    def formula(xy):
        xy = jnp.asarray(xy)
        if not jnp.issubdtype(xy.dtype, jnp.inexact):
            xy = xy.astype(jnp.float32)
        x, y = xy[..., 0], xy[..., 1]
        return body(x, y) + jnp.zeros_like(x)  # a constant formula still has x's shape

    return formula
