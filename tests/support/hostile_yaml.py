"""YAML texts built to hurt a parser: what site files, rule files and rule offers must be refused for."""

# Nine aliases of nine aliases, nine levels deep: 300 bytes that stand for 9⁹ strings ("billion laughs").
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
# Lists in lists, deeper than the parser's recursion can follow.
DEEP = "[" * 5000 + "]" * 5000
