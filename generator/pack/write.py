"""Write a month's pack atomically, with its manifest; convert documents to PDF via LibreOffice."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from ..errors import PmoError

SOFFICE_FOLDERS = [
    r"C:\Program Files\LibreOffice\program",
    r"C:\Program Files (x86)\LibreOffice\program",
    "/Applications/LibreOffice.app/Contents/MacOS",
    "/usr/lib/libreoffice/program",
    "/opt/libreoffice/program",
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stage(out: Path, key: str) -> Path:
    """A fresh temporary folder beside the final one (same disk, so the rename is atomic)."""
    out.mkdir(parents=True, exist_ok=True)
    folder = out / f".{key}.{uuid.uuid4().hex[:12]}.tmp"
    folder.mkdir()  # unlike mkdtemp, honours the umask: the pack is as readable as any other file
    return folder


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative name -> bytes) into ``folder``."""
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def publish(staged: Path, final: Path) -> None:
    """Replace ``final`` with ``staged``: the old pack is removed only once the new one is in place."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    try:
        if final.exists():
            os.replace(final, old)
        os.replace(staged, final)
    except PermissionError as exc:
        if old.exists() and not final.exists():
            os.replace(old, final)
        shutil.rmtree(staged, ignore_errors=True)
        raise PmoError(
            f"{final}: cannot be replaced; a file in it is probably open in Word or PowerPoint. "
            "Close it and run generate again (nothing was changed)"
        ) from exc
    shutil.rmtree(old, ignore_errors=True)


def find_soffice() -> str | None:
    """LibreOffice's command, on PATH or in its usual install folders."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    exe = "soffice.exe" if sys.platform == "win32" else "soffice"
    for folder in SOFFICE_FOLDERS:
        candidate = Path(folder) / exe
        if candidate.is_file():
            return str(candidate)
    return None


INSTALL_HINT = (
    "LibreOffice is needed to make PDFs and was not found; install it (Windows/macOS: "
    "https://www.libreoffice.org/download/, Debian/Ubuntu: sudo apt install libreoffice-writer "
    "libreoffice-impress) and run generate --pdf again"
)


def convert_to_pdf(documents: list[Path], timeout: int = 300) -> list[Path]:
    """Convert documents to PDF beside them with LibreOffice; returns the PDFs written."""
    soffice = find_soffice()
    if soffice is None:
        raise PmoError(INSTALL_HINT)
    if not documents:
        return []
    folder = documents[0].parent
    with tempfile.TemporaryDirectory(prefix="pmo-lo-") as profile:
        cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(folder), *map(str, documents)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PmoError(f"LibreOffice did not finish converting to PDF within {timeout} s") from exc
    pdfs = [d.with_suffix(".pdf") for d in documents]
    missing = [p.name for p in pdfs if not p.is_file()]
    if missing:
        raise PmoError(f"LibreOffice did not produce {', '.join(missing)}; is another LibreOffice window stuck?")
    return pdfs
