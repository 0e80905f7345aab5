"""TeX -> plain text a reader understands, for search snippets (search.json).

``\\frac{O}{R \\cdot \\eta}`` reads ``O/(R · η)``; ``T_{\\text{mem}}`` reads ``T_mem``;
``x^{2}`` reads ``x²``. Never returns a TeX control sequence: an unknown command keeps its
name without the backslash. Not a typesetter: the page itself shows KaTeX's rendering.
"""

from __future__ import annotations

import re

_GREEK = {name: chr(code) for name, code in [
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("vartheta", 0x3D1),
    ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD),
    ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4),
    ("upsilon", 0x3C5), ("phi", 0x3D5), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
    ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B),
    ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Upsilon", 0x3A5), ("Phi", 0x3A6),
    ("Psi", 0x3A8), ("Omega", 0x3A9)]}
# Relations and binary operators: spaced ("a = b"); other symbols: as they are.
_SPACED = {"cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "approx": "≈", "sim": "∼",
           "simeq": "≃", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
           "ll": "≪", "gg": "≫", "propto": "∝", "equiv": "≡", "in": "∈", "notin": "∉", "to": "→",
           "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Longrightarrow": "⟹",
           "Leftrightarrow": "⇔", "Longleftrightarrow": "⟺", "mapsto": "↦", "mid": "|",
           "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "circ": "∘", "oplus": "⊕",
           "otimes": "⊗", "land": "∧", "lor": "∨", "implies": "⟹", "iff": "⟺"}
_SYMBOLS = {"infty": "∞", "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "Π", "int": "∫",
            "ell": "ℓ", "top": "ᵀ", "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮",
            "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "langle": "⟨", "rangle": "⟩",
            "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "lvert": "|", "rvert": "|", "vert": "|",
            "forall": "∀", "exists": "∃", "emptyset": "∅", "neg": "¬", "star": "⋆", "ast": "∗",
            "prime": "′", "degree": "°", "checkmark": "✓",
            "$": "$", "%": "%", "&": "&", "#": "#", "_": "_", "{": "{", "}": "}"}
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "quad": " ", "qquad": " ", "enspace": " ",
           "thinspace": " ", "!": "", "\\": "; ", "newline": "; ", "cr": "; "}
# Commands that only change how their argument looks: keep the argument.
_STYLE = {"text", "textrm", "textbf", "textit", "texttt", "textsf", "mathrm", "mathbf", "mathit",
          "mathsf", "mathtt", "mathcal", "mathbb", "mathfrak", "boldsymbol", "bm", "operatorname",
          "mathrel", "mathbin", "mathop", "mathord", "mbox", "hbox", "emph", "overline", "underline",
          "widehat", "widetilde", "overbrace", "vec"}
# Commands that take no argument and print nothing.
_SILENT = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
           "biggr", "middle", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
           "nonumber", "notag", "label", "tag", "hline"}
_ACCENTS = {"bar": "\u0304", "hat": "\u0302", "tilde": "\u0303", "dot": "\u0307", "ddot": "\u0308"}
_SUPER = dict(zip("0123456789+-=()nixT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣᵀ")) | {"−": "⁻", "ᵀ": "ᵀ", "′": "′"}
_SUB = dict(zip("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_&~])|(\s+)|([^\\{}^_&~\s])", re.S)


def _tokens(tex: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(tex):
        cmd, special, space, char = m.groups()
        out.append(("cmd", cmd) if cmd is not None else ("sp", " ") if space else
                   ("special", special) if special is not None else ("char", char))
    return out


class _Reader:
    def __init__(self, tex: str) -> None:
        self.toks = _tokens(tex)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def skip_spaces(self) -> None:
        while self.peek()[0] == "sp":
            self.i += 1

    def group(self) -> str:
        """One argument: a {group} or a single token."""
        self.skip_spaces()
        kind, val = self.peek()
        if kind is None:
            return ""
        if (kind, val) == ("special", "{"):
            self.i += 1
            return self.until_close()
        self.i += 1
        return self.token(kind, val)

    def raw_group(self) -> str:
        """A {name} argument read literally (environment names)."""
        self.skip_spaces()
        if self.peek() != ("special", "{"):
            return ""
        self.i += 1
        name = []
        while self.peek()[0] is not None and self.peek() != ("special", "}"):
            name.append(self.toks[self.i][1])
            self.i += 1
        self.i += 1
        return "".join(name)

    def optional(self) -> str:
        self.skip_spaces()
        if self.peek() != ("char", "["):
            return ""
        self.i += 1
        parts = []
        while self.peek()[0] is not None and self.peek() != ("char", "]"):
            kind, val = self.peek()
            self.i += 1
            parts.append(self.token(kind, val))
        self.i += 1
        return "".join(parts)

    def until_close(self) -> str:
        parts = []
        while True:
            kind, val = self.peek()
            if kind is None:
                break
            self.i += 1
            if (kind, val) == ("special", "}"):
                break
            parts.append(self.token(kind, val))
        return "".join(parts)

    def token(self, kind: str, val: str) -> str:
        if kind == "sp":
            return " "
        if kind == "char":
            return f" {val} " if val in "=<>+" else val
        if kind == "special":
            if val == "{":
                return self.until_close()
            if val in "^_":
                return script(self.group(), up=val == "^")
            return " "                       # &, ~, a stray }
        return self.command(val)

    def command(self, name: str) -> str:
        if name in _GREEK:
            return _GREEK[name]
        if name in _SPACED:
            return f" {_SPACED[name]} "
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        if name in _SPACES:
            return _SPACES[name]
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            num, den = self.group(), self.group()
            return f"{_wrap(num)}/{_wrap(den)}"
        if name == "sqrt":
            index = self.optional()
            return f"{script(index, up=True) if index else ''}√{_wrap(self.group())}"
        if name in _ACCENTS:
            arg = self.group().strip()
            return arg + _ACCENTS[name] if len(arg) == 1 else arg
        if name in ("underbrace", "overbrace"):
            body = self.group()
            self.skip_spaces()
            if self.peek()[1] in ("_", "^"):
                self.i += 1
                return f"{body} ({self.group().strip()})"
            return body
        if name in _STYLE:
            return self.group()
        if name in ("begin", "end"):
            self.raw_group()
            if name == "begin" and self.peek() == ("special", "{"):   # array column spec
                self.raw_group()
            return " "
        if name in _SILENT:
            return ""
        return name                          # \min, \log, \max, unknown: the name itself


def _wrap(text: str) -> str:
    """Bracket a fraction's part unless it is one symbol or already bracketed."""
    t = " ".join(text.split())
    if len(t) <= 1 or re.fullmatch(r"[\w.]+", t) or (t[0] in "([" and t[-1] in ")]"):
        return t
    return f"({t})"


def script(text: str, up: bool) -> str:
    t = " ".join(text.split())
    table = _SUPER if up else _SUB
    # Unicode super/subscripts for digits, signs and one letter (x², 10⁻³, xᵢ); a word stays
    # searchable as a word (T_max, not Tₘₐₓ).
    if t and all(c in table for c in t) and (len(t) == 1 or not any(c.isalpha() for c in t)):
        return "".join(table[c] for c in t)
    mark = "^" if up else "_"
    return f"{mark}{t}" if re.fullmatch(r"[\w.′]+", t) else f"{mark}({t})"


def tex_to_text(tex: str) -> str:
    """Plain, readable text for a TeX formula (inline or display)."""
    reader = _Reader(tex)
    parts = []
    while reader.peek()[0] is not None:
        kind, val = reader.peek()
        reader.i += 1
        parts.append(reader.token(kind, val))
    text = " ".join("".join(parts).split())
    return re.sub(r"\s+([,.;:)\]])", r"\1", re.sub(r"([(\[])\s+", r"\1", text))
