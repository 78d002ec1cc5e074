"""VBA source checked as Excel's VBA compiler would see it, without Excel.

* The reserved identifiers of [MS-VBAL] (the VBA language specification, [MS-VBAL]
  section 3.3.5.2 "Reserved Identifiers and IDENTIFIER"), by kind: none may name a
  parameter, and `reserved_parameters` finds every one that does, in every Sub, Function,
  Property, Declare and Event declaration of a module.
* Conditional compilation ([MS-VBAL] 3.4): `resolve_conditional_compilation` keeps the
  lines a platform compiles (`#If`/`#ElseIf`/`#Else`/`#End If`, `#Const`, conditions with
  Not/And/Or/Xor, comparisons and string constants), blanking the others and the
  directives, so that line numbers stay those of the module.
* Syntax: `syntax_errors` parses the result with the MS-VBAL grammar for ANTLR4
  (grammars-v4 vba/vba7_1, packaged with its generated Python parser as antlr4-vba on
  PyPI) and returns every error the lexer and parser report. That grammar skips
  conditional compilation lines but keeps every branch (hence the resolution first) and
  expects a module the way the VBA editor exports it (`grammar_source` says how the
  stored module is turned into that form).

Nothing here needs antlr4-vba but `syntax_errors` and `grammar_parameters`, which import
it when called.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

# ------------------------------------------------------------------ reserved identifiers

RESERVED_BY_KIND: dict[str, tuple[str, ...]] = {
    # [MS-VBAL] 3.3.5.2, as the specification spells each one (VBA ignores case).
    "statement-keyword": (
        "Call", "Case", "Close", "Const", "Declare", "DefBool", "DefByte", "DefCur",
        "DefDate", "DefDbl", "DefInt", "DefLng", "DefLngLng", "DefLngPtr", "DefObj",
        "DefSng", "DefStr", "DefVar", "Dim", "Do", "Else", "ElseIf", "End", "EndIf", "Enum",
        "Erase", "Event", "Exit", "For", "Friend", "Function", "Get", "Global", "GoSub",
        "GoTo", "If", "Implements", "Input", "Let", "Lock", "Loop", "LSet", "Next", "On",
        "Open", "Option", "Print", "Private", "Public", "Put", "RaiseEvent", "ReDim",
        "Resume", "Return", "RSet", "Seek", "Select", "Set", "Static", "Stop", "Sub",
        "Type", "Unlock", "Wend", "While", "With", "Write"),
    "rem-keyword": ("Rem",),
    "marker-keyword": (
        "Any", "As", "ByRef", "ByVal", "Case", "Each", "Else", "In", "New", "Shared",
        "Until", "WithEvents", "Write", "Optional", "ParamArray", "Preserve", "Spc", "Tab",
        "Then", "To"),
    "operator-identifier": (
        "AddressOf", "And", "Eqv", "Imp", "Is", "Like", "New", "Mod", "Not", "Or", "TypeOf",
        "Xor"),
    "reserved-name": (
        "Abs", "CBool", "CByte", "CCur", "CDate", "CDbl", "CDec", "CInt", "CLng", "CLngLng",
        "CLngPtr", "CSng", "CStr", "CVar", "CVErr", "Date", "Debug", "DoEvents", "Fix", "Int",
        "Len", "LenB", "Me", "PSet", "Scale", "Sgn", "String"),
    "special-form": ("Array", "Circle", "Input", "InputB", "LBound", "Scale", "UBound"),
    "reserved-type-identifier": (
        "Boolean", "Byte", "Currency", "Date", "Double", "Integer", "Long", "LongLong",
        "LongPtr", "Single", "String", "Variant"),
    "literal-identifier": ("True", "False", "Nothing", "Empty", "Null"),
    "reserved-for-implementation-use": (
        "Attribute", "LINEINPUT", "VB_Base", "VB_Control", "VB_Creatable", "VB_Customizable",
        "VB_Description", "VB_Exposed", "VB_Ext_KEY", "VB_GlobalNameSpace", "VB_HelpID",
        "VB_Invoke_Func", "VB_Invoke_Property", "VB_Invoke_PropertyPut",
        "VB_Invoke_PropertyPutRef", "VB_MemberFlags", "VB_Name", "VB_PredeclaredId",
        "VB_ProcData", "VB_TemplateDerived", "VB_UserMemId", "VB_VarDescription",
        "VB_VarHelpID", "VB_VarMemberFlags", "VB_VarProcData", "VB_VarUserMemId"),
    "future-reserved": ("CDecl", "Decimal", "DefDec"),
}
"""[MS-VBAL] 3.3.5.2: reserved-identifier = statement-keyword / marker-keyword /
operator-identifier / special-form / reserved-type-identifier / reserved-name /
literal-identifier / rem-keyword / reserved-for-implementation-use / future-reserved.
https://learn.microsoft.com/openspecs/microsoft_general_purpose_programming_languages/ms-vbal
(section 3.3.5.2, page 7df907cb-ab6c-40d3-aa81-272742ce00c3)."""

RESERVED: dict[str, str] = {}
"""Each reserved identifier, lower-cased, and the first kind above that reserves it."""
for _kind, _words in RESERVED_BY_KIND.items():
    for _word in _words:
        RESERVED.setdefault(_word.lower(), _kind)

LATIN_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")
"""[MS-VBAL] 3.3.5.1 Latin-identifier (255 characters at most)."""

# ------------------------------------------------------------------ platforms

PLATFORMS: dict[str, dict[str, object]] = {
    # [MS-VBAL] 3.4.1.1 and Office's VBA 7: VBA6 and VBA7 are True in every VBA 7 host;
    # Win32 is True in 64-bit Windows Office too. Excel 2016 and later on a Mac defines
    # MAC_OFFICE_VERSION (15, then 16), which xlwings' module tests.
    "Win64": {"VBA6": True, "VBA7": True, "Win64": True, "Win32": True, "Mac": False},
    "Win32": {"VBA6": True, "VBA7": True, "Win64": False, "Win32": True, "Mac": False},
    "Mac": {"VBA6": True, "VBA7": True, "Mac": True, "Win64": False, "Win32": False,
            "MAC_OFFICE_VERSION": 16},
}


class VbaSourceError(ValueError):
    """VBA that the checks here cannot read (a broken #If structure, for example)."""


# ------------------------------------------------------------------ conditional compilation

_DIRECTIVE = re.compile(r"^\s*#\s*(If|ElseIf|Else|End\s*If|Const)\b(.*)$", re.I)
_EMPTY = object()  # the value of a constant nobody defined ([MS-VBAL] 3.4.1: Empty)


def split_comment(line: str) -> tuple[str, str | None]:
    """A physical line's code and its ' comment (None without one), strings respected."""
    in_string = False
    for at, char in enumerate(line):
        if char == '"':
            in_string = not in_string
        elif char == "'" and not in_string:
            return line[:at], line[at:]
    return line, None


def resolve_conditional_compilation(source: str, constants: Mapping[str, object]) -> str:
    """`source` as a platform with these conditional compilation constants compiles it.

    Lines in branches the platform does not compile, and the directives themselves, become
    empty lines, so every kept line keeps its number. `#Const` defines a constant from
    where it stands (when it stands in a compiled branch), as in VBA.
    """
    defined = {name.lower(): value for name, value in constants.items()}
    frames: list[dict[str, bool]] = []  # per open #If: a branch taken, this one active
    out: list[str] = []
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        active = all(frame["active"] for frame in frames)
        match = _DIRECTIVE.match(line)
        if not match:
            out.append(line if active else "")
            continue
        keyword = " ".join(match[1].split()).lower()
        code, _ = split_comment(match[2])
        code = code.strip()
        if code.endswith(" _") or code == "_":
            raise VbaSourceError(f"line {number}: a continued #{match[1]} line")
        where = f"line {number}: #{match[1]}"
        if keyword in ("if", "elseif"):
            condition = re.fullmatch(r"(.*?)\s*\bThen", code, re.I | re.S)
            if not condition or not condition[1]:
                raise VbaSourceError(f"{where} needs a condition and Then")
            value = truthy(evaluate(condition[1], defined), where)
        if keyword == "if":
            frames.append({"taken": value, "active": value})
        elif keyword in ("elseif", "else", "end if", "endif"):
            if not frames:
                raise VbaSourceError(f"{where} without #If")
            frame = frames[-1]
            if keyword == "elseif":
                frame["active"] = not frame["taken"] and value
                frame["taken"] = frame["taken"] or value
            elif keyword == "else":
                if code:
                    raise VbaSourceError(f"{where} followed by {code!r}")
                frame["active"] = not frame["taken"]
                frame["taken"] = True
            else:
                frames.pop()
        else:  # #Const
            constant = re.fullmatch(r"([A-Za-z]\w*)\s*=\s*(.+)", code)
            if not constant:
                raise VbaSourceError(f"{where} needs a name = value")
            value = evaluate(constant[2], defined)
            if active:
                defined[constant[1].lower()] = value
        out.append("")
    if frames:
        raise VbaSourceError(f"#If without #End If at the end of the module ({len(frames)} "
                             "open)")
    return "\n".join(out)


_CC_TOKEN = re.compile(r'\s*(?:("(?:[^"]|"")*")|(&H[0-9A-F]+|\d+)|([A-Za-z]\w*)|'
                       r"(<>|<=|>=|[=<>()&+\-*/]))", re.I)


def evaluate(expression: str, constants: Mapping[str, object]) -> object:
    """A conditional compilation expression ([MS-VBAL] 5.6.16.2): literals, constants,
    arithmetic (+ - * /), &, comparisons, Not, And, Or, Xor. Booleans are -1 and 0 and the
    logical operators work bit by bit, as in VBA; an undefined constant is Empty."""
    tokens: list[tuple[str, object]] = []
    at = 0
    text = expression.rstrip()
    while at < len(text):
        match = _CC_TOKEN.match(text, at)
        if not match:
            raise VbaSourceError(f"cannot read {text[at:]!r} in {expression!r}")
        string, number, name, operator = match.groups()
        if string is not None:
            tokens.append(("value", string[1:-1].replace('""', '"')))
        elif number is not None:
            value = int(number[2:], 16) if number[:2].upper() == "&H" else int(number)
            tokens.append(("value", value))
        elif name is not None and name.lower() in ("not", "and", "or", "xor", "mod"):
            tokens.append(("op", name.lower()))
        elif name is not None and name.lower() in ("true", "false"):
            tokens.append(("value", -1 if name.lower() == "true" else 0))
        elif name is not None:
            value = constants.get(name.lower(), _EMPTY)
            tokens.append(("value", -1 if value is True else 0 if value is False else value))
        else:
            tokens.append(("op", operator))
        at = match.end()
    parser = _Expression(tokens, expression)
    value = parser.disjunction()
    if parser.at != len(tokens):
        raise VbaSourceError(f"unexpected {tokens[parser.at][1]!r} in {expression!r}")
    return value


def truthy(value: object, where: str) -> bool:
    if isinstance(value, str):
        raise VbaSourceError(f"{where}: a string {value!r} is not a condition")
    return value is not _EMPTY and value != 0


class _Expression:
    """Recursive descent over [MS-VBAL] 5.6.9's operator precedence (lowest first)."""

    def __init__(self, tokens: list[tuple[str, object]], text: str):
        self.tokens, self.text, self.at = tokens, text, 0

    def peek(self) -> object:
        return self.tokens[self.at][1] if self.at < len(self.tokens) and \
            self.tokens[self.at][0] == "op" else None

    def take(self) -> object:
        self.at += 1
        return self.tokens[self.at - 1][1]

    def number(self, value: object) -> int:
        if value is _EMPTY:
            return 0
        if isinstance(value, str):
            raise VbaSourceError(f"type mismatch: {value!r} in {self.text!r}")
        return int(value)

    def disjunction(self) -> object:
        value = self.conjunction()
        while self.peek() in ("or", "xor"):
            operator = self.take()
            other = self.conjunction()
            a, b = self.number(value), self.number(other)
            value = a | b if operator == "or" else a ^ b
        return value

    def conjunction(self) -> object:
        value = self.negation()
        while self.peek() == "and":
            self.take()
            value = self.number(value) & self.number(self.negation())
        return value

    def negation(self) -> object:
        if self.peek() == "not":
            self.take()
            return ~self.number(self.negation())
        return self.comparison()

    def comparison(self) -> object:
        value = self.concatenation()
        while self.peek() in ("=", "<>", "<", ">", "<=", ">="):
            operator = self.take()
            other = self.concatenation()
            if isinstance(value, str) or isinstance(other, str):
                a = "" if value is _EMPTY else value
                b = "" if other is _EMPTY else other
                if not (isinstance(a, str) and isinstance(b, str)):
                    raise VbaSourceError(f"type mismatch comparing {a!r} and {b!r} in "
                                         f"{self.text!r}")
            else:
                a, b = self.number(value), self.number(other)
            result = {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b,
                      ">=": a >= b}[operator]
            value = -1 if result else 0
        return value

    def concatenation(self) -> object:
        value = self.additive()
        while self.peek() == "&":
            self.take()
            other = self.additive()
            value = "".join("" if v is _EMPTY else str(v) for v in (value, other))
        return value

    def additive(self) -> object:
        value = self.multiplicative()
        while self.peek() in ("+", "-"):
            operator = self.take()
            other = self.multiplicative()
            a, b = self.number(value), self.number(other)
            value = a + b if operator == "+" else a - b
        return value

    def multiplicative(self) -> object:
        value = self.unary()
        while self.peek() in ("*", "/", "mod"):
            operator = self.take()
            a, b = self.number(value), self.number(self.unary())
            value = a * b if operator == "*" else a // b if operator == "/" else a % b
        return value

    def unary(self) -> object:
        if self.peek() == "-":
            self.take()
            return -self.number(self.unary())
        return self.primary()

    def primary(self) -> object:
        if self.at >= len(self.tokens):
            raise VbaSourceError(f"incomplete expression {self.text!r}")
        if self.peek() == "(":
            self.take()
            value = self.disjunction()
            if self.peek() != ")":
                raise VbaSourceError(f"missing ) in {self.text!r}")
            self.take()
            return value
        kind, value = self.tokens[self.at]
        if kind != "value":
            raise VbaSourceError(f"unexpected {value!r} in {self.text!r}")
        self.at += 1
        return value


# ------------------------------------------------------------------ the grammar's input

CLASS_EXPORT_HEADER = ("VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END")
"""What the VBA editor's File > Export writes before a class module's attributes, and the
grammar's classFileHeader expects."""

GRAMMAR_CLASS_ATTRIBUTES = frozenset({"vb_name", "vb_globalnamespace", "vb_creatable",
                                      "vb_predeclaredid", "vb_exposed", "vb_customizable"})
"""The module attributes of [MS-VBAL] 4.2 (class-attr), which the grammar parses."""

HOST_ATTRIBUTES = {
    # Module attributes the VBA editor keeps in a module's source (the module stream of
    # [MS-OVBA]) and exports, but [MS-VBAL] 4.2 does not define, so the grammar has no rule
    # for them. Each is checked here for its form, then blanked.
    "vb_base": re.compile(r'"0\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', re.I),
    "vb_templatederived": re.compile(r"True|False", re.I),
    "vb_description": re.compile(r'"(?:[^"]|"")*"'),
}
_MODULE_ATTRIBUTE = re.compile(r"^Attribute (VB_\w+) = (.*)$", re.I)


@dataclass(frozen=True)
class GrammarSource:
    """A module as the grammar reads it; its line `n` is the module's line n - offset."""

    text: str
    offset: int


def grammar_source(kind: str, source: str, constants: Mapping[str, object]) -> GrammarSource:
    """A stored module ("module", or "class"/"document") as the grammar expects it.

    Conditional compilation is resolved for `constants`. The module attributes at the top
    are kept where [MS-VBAL] 4.2 defines them (VB_Name alone for a procedural module; for a
    class or document module also VB_GlobalNameSpace, VB_Creatable, VB_PredeclaredId,
    VB_Exposed and VB_Customizable, after the export header CLASS_EXPORT_HEADER); the
    VBA editor's own (HOST_ATTRIBUTES) are checked and blanked. Attributes of procedures
    and variables (`Attribute Item.VB_UserMemId = 0`) are left to the grammar, which has a
    rule for them.
    """
    lines = resolve_conditional_compilation(source, constants).split("\n")
    allowed = GRAMMAR_CLASS_ATTRIBUTES if kind != "module" else frozenset({"vb_name"})
    for number, line in enumerate(lines):
        match = _MODULE_ATTRIBUTE.match(line)
        if not match:
            break
        name = match[1].lower()
        if name in allowed:
            continue
        form = HOST_ATTRIBUTES.get(name)
        if form is None or not form.fullmatch(match[2].strip()):
            raise VbaSourceError(f"line {number + 1}: unexpected module attribute {line!r}")
        lines[number] = ""
    header = list(CLASS_EXPORT_HEADER) if kind != "module" else []
    return GrammarSource("\n".join(header + lines) + "\n", len(header))


# ------------------------------------------------------------------ syntax

@dataclass(frozen=True)
class SyntaxProblem:
    line: int  # the module's own line number
    column: int
    message: str
    text: str  # that line of the module

    def __str__(self) -> str:
        return f"line {self.line}:{self.column}: {self.message}: {self.text.strip()!r}"


@functools.lru_cache(maxsize=64)
def _analyse(text: str) -> tuple[tuple[tuple[int, int, str], ...], tuple[str, ...]]:
    """Every error the grammar's lexer and parser report for `text`, and the parameter
    names its parse tree declares, in order.

    ANTLR's Python runtime is slow on this grammar (seconds for xlwings' module), and its
    faster SLL mode fails on valid VBA here, so the full LL mode is used, once per text
    (platforms often compile the same text).
    """
    from antlr4 import CommonTokenStream, InputStream, ParseTreeWalker
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser
    from antlr4_vba.vbaParserListener import vbaParserListener

    class Collect(ErrorListener):
        def __init__(self):
            self.errors: list[tuple[int, int, str]] = []

        def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
            self.errors.append((line, column, msg))

    class Parameters(vbaParserListener):
        def __init__(self):
            self.names: list[str] = []

        def enterParamDcl(self, ctx):  # an untyped or typed name first
            declaration = ctx.getChild(0)
            name = declaration.getChild(0) if declaration is not None else None
            if name is not None:  # None only where the parser recovered from an error
                self.names.append(_TYPE_SUFFIX.sub("", name.getText()))

        def enterParamArray(self, ctx):
            if ctx.ambiguousIdentifier() is not None:
                self.names.append(ctx.ambiguousIdentifier().getText())

    errors = Collect()
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = vbaParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    tree = parser.startRule()
    names = Parameters()
    ParseTreeWalker().walk(names, tree)
    return tuple(errors.errors), tuple(names.names)


def syntax_errors(kind: str, source: str, constants: Mapping[str, object]) -> list[SyntaxProblem]:
    """Every syntax error the MS-VBAL grammar finds in a module compiled with `constants`."""
    prepared = grammar_source(kind, source, constants)
    errors, _ = _analyse(prepared.text)
    lines = prepared.text.split("\n")
    return [SyntaxProblem(line - prepared.offset, column, message,
                          lines[line - 1] if 0 < line <= len(lines) else "")
            for line, column, message in errors]


def grammar_parameters(kind: str, source: str, constants: Mapping[str, object]) -> list[str]:
    """The parameter names the grammar's parse tree declares, in order: a cross-check of
    `parameters`, for a module without syntax errors."""
    errors, names = _analyse(grammar_source(kind, source, constants).text)
    if errors:
        raise VbaSourceError(f"syntax errors: {list(errors[:3])}")
    return list(names)


# ------------------------------------------------------------------ parameters

@dataclass(frozen=True)
class Parameter:
    procedure: str
    name: str
    line: int  # where the declaration starts

    def problem(self) -> str | None:
        """Why VBA refuses this parameter name, or None."""
        kind = RESERVED.get(self.name.lower())
        if kind:
            return f"a reserved identifier ([MS-VBAL] 3.3.5.2 {kind})"
        if not LATIN_IDENTIFIER.fullmatch(self.name) and not self.name.startswith("["):
            return "not a VBA identifier ([MS-VBAL] 3.3.5.1)"
        return None


_SCOPE = r"^\s*(?:(?:Public|Private|Friend|Global)\s+)?"
_NAME = r"([A-Za-z_]\w*[$%&!#@^]?|\[[^\]]*\])"
_DECLARATIONS = [
    re.compile(_SCOPE + r"(?:Static\s+)?(Sub|Function|Property\s+(?:Get|Let|Set))\s+" + _NAME
               + r"\s*(\(|$)", re.I),
    re.compile(_SCOPE + r"(Declare)\s+(?:PtrSafe\s+)?(?:Sub|Function)\s+" + _NAME
               + r'\s+Lib\s+""(?:\s+Alias\s+"")?\s*(\(|$)', re.I),
    re.compile(r"^\s*(?:Public\s+)?(Event)\s+" + _NAME + r"\s*(\(|$)", re.I),
]
_MODIFIERS = frozenset({"optional", "byval", "byref", "paramarray"})
_TYPE_SUFFIX = re.compile(r"[$%&!#@^]$")


def logical_lines(source: str) -> list[tuple[int, str]]:
    """(first line number, code) of each logical line: line continuations joined, comments
    dropped (a comment ending in " _" goes on, as in VBA) and strings emptied ("")."""
    out: list[tuple[int, str]] = []
    parts: list[str] = []
    start, in_comment = 0, False
    for number, line in enumerate(source.replace("\r\n", "\n").split("\n"), start=1):
        if in_comment:
            in_comment = bool(re.search(r"(^|\s)_\s*$", line))
            continue
        code, comment = split_comment(line)
        code = re.sub(r'"(?:[^"]|"")*"', '""', code)
        rem = re.search(r"(^|:)\s*Rem(\s|$)", code, re.I)
        if rem:
            code, comment = code[:rem.start()], code[rem.start():]
        if not parts:
            start = number
        if comment is None and re.search(r"(^|\s)_\s*$", code):
            parts.append(re.sub(r"_\s*$", " ", code))
            continue
        in_comment = comment is not None and bool(re.search(r"\s_\s*$", comment))
        parts.append(code)
        out.append((start, "".join(parts)))
        parts = []
    if parts:
        out.append((start, "".join(parts)))
    return out


def _parameter_list(code: str, opening: int) -> str:
    depth = 0
    for at in range(opening, len(code)):
        depth += {"(": 1, ")": -1}.get(code[at], 0)
        if depth == 0:
            return code[opening + 1:at]
    raise VbaSourceError(f"unbalanced parentheses in {code.strip()!r}")


def _split_top_level(text: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [item for item in items + [current] if item.strip()]


def parameters(source: str) -> list[Parameter]:
    """Every parameter of every Sub, Function, Property, Declare and Event declaration in
    `source`, read from its text (every #If branch, when it has not been resolved)."""
    found = []
    for number, code in logical_lines(source):
        for pattern in _DECLARATIONS:
            match = pattern.match(code)
            if not match:
                continue
            procedure = f"{' '.join(match[1].split())} {match[2]}"
            if match[3] == "(":
                for item in _split_top_level(_parameter_list(code, match.start(3))):
                    words = item.split()
                    while words and words[0].lower() in _MODIFIERS:
                        words.pop(0)
                    name = re.match(r"\[[^\]]*\]|[^\s(=]+", " ".join(words))
                    if not name:
                        raise VbaSourceError(f"line {number}: no name in parameter {item!r}")
                    found.append(Parameter(procedure, _TYPE_SUFFIX.sub("", name[0]), number))
            break
    return found


def reserved_parameters(source: str) -> list[str]:
    """'line N: Function F parameter x is ...' for each parameter VBA refuses."""
    return [f"line {p.line}: {p.procedure} parameter {p.name!r} is {p.problem()}"
            for p in parameters(source) if p.problem()]

