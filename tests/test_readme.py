"""The README's code blocks that print something print what the README says they print."""
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_and_output(section: str) -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    body = text[text.index(f"## {section}\n"):]
    match = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", body, flags=re.S)
    assert match, f"README section {section!r} has no python block followed by its output"
    return match.group(1), match.group(2)


def test_the_analyse_your_own_model_example_prints_its_table():
    code, expected = _block_and_output("Analyse your own model")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == expected
