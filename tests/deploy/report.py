"""The deployment tests' measurements: lines that the session prints at the end and can write to a file."""

from __future__ import annotations


class Report:
    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = {}

    def add(self, section: str, line: str) -> None:
        self.sections.setdefault(section, []).append(line)

    def render(self) -> str:
        return "\n\n".join(f"### {name}\n\n" + "\n".join(lines) for name, lines in self.sections.items())


REPORT = Report()
