"""Locate the editable templates (Word, slides, narrative text) and render text in a sandbox."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import PmoError

DOCX = "highlight_report.docx"
PPTX = "board_slides.pptx"
TEXT = "text"


def default_dir() -> Path:
    """The default templates: templates/ of a source checkout, else the copy installed with the package."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / TEXT).is_dir():
        return checkout
    return Path(str(resources.files("generator.templates")))


@dataclass(frozen=True)
class Templates:
    """A folder of templates: the defaults, or a customised copy (``--templates DIR``)."""

    folder: Path

    @classmethod
    def load(cls, folder: Path | None = None) -> "Templates":
        """The templates in ``folder`` (the defaults when None); missing files are an error."""
        folder = folder or default_dir()
        if not folder.is_dir():
            raise PmoError(f"{folder}: no such templates folder; create one with: pmo-report templates export DIR")
        return cls(folder)

    def path(self, name: str) -> Path:
        """A template file; a customised folder may omit files, which then come from the defaults."""
        candidate = self.folder / name
        if candidate.exists():
            return candidate
        fallback = default_dir() / name
        if fallback.exists():
            return fallback
        raise PmoError(f"{candidate}: template not found")

    def text_environment(self):
        """A sandboxed Jinja environment over ``text/`` (customised first, then the defaults)."""
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        loader = ChoiceLoader([FileSystemLoader(str(self.folder / TEXT)), FileSystemLoader(str(default_dir() / TEXT))])
        return SandboxedEnvironment(loader=loader, undefined=StrictUndefined, autoescape=False,
                                    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def export(dest: Path) -> list[Path]:
    """Copy the default templates into ``dest`` for editing; refuses to overwrite files."""
    source = default_dir()
    files = [p for p in source.rglob("*") if p.is_file() and p.suffix in {".docx", ".pptx", ".j2", ".md"}]
    clashes = [dest / p.relative_to(source) for p in files if (dest / p.relative_to(source)).exists()]
    if clashes:
        raise PmoError(f"{clashes[0]}: already exists; export into an empty folder (nothing was copied)")
    written = []
    for p in files:
        target = dest / p.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
        written.append(target)
    return written
