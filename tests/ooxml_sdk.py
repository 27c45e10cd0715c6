"""Microsoft's Open XML SDK validator for tests, hosted by pythonnet in a child process.

PyPI's python-redlines-ooxmlpowertools ships a self-contained .NET 8 runtime together with
DocumentFormat.OpenXml.dll; it is unpacked once into .venv/oxsdk. ``validate(path)`` returns the
SDK's findings (Office 2013 rules) minus the ones PowerPoint itself produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

SDK_DIR = Path(sys.prefix) / "oxsdk"
BENIGN = [
    (re.compile(r"'(smtClean|smtId)' attribute is not declared"), None),
    (re.compile(r"is not a valid 'UInt32' value"), re.compile(r"/c:(axId|crossAx)\[\d+\]$")),
]

_WORKER = r"""
import json, os, sys
os.environ.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
sdk, kind, path = sys.argv[1:4]
from clr_loader import get_coreclr
from pythonnet import set_runtime
set_runtime(get_coreclr(entry_dll=os.path.join(sdk, "redlines.dll"), dotnet_root=sdk))
import clr
clr.AddReference(os.path.join(sdk, "DocumentFormat.OpenXml.dll"))
from DocumentFormat.OpenXml import FileFormatVersions
from DocumentFormat.OpenXml.Packaging import PresentationDocument, WordprocessingDocument
from DocumentFormat.OpenXml.Validation import OpenXmlValidator
cls = WordprocessingDocument if kind == "docx" else PresentationDocument
doc = cls.Open(path, False)
v = OpenXmlValidator(FileFormatVersions.Office2013)
out = []
for e in v.Validate(doc):
    out.append({"id": str(e.Id), "description": str(e.Description),
                "part": str(e.Part.Uri) if e.Part is not None else None,
                "xpath": str(e.Path.XPath) if e.Path is not None else None})
doc.Dispose()
print(json.dumps(out))
"""


def available() -> str | None:
    """None when the validator can run, else why not."""
    try:
        import clr_loader  # noqa: F401
        import pythonnet  # noqa: F401
        import python_redlines_ooxmlpowertools as pkg
    except ImportError as exc:
        return f"Open XML SDK route not installed ({exc})"
    tarball = Path(pkg.__file__).parent / "_binaries" / "linux-x64.tar.gz"
    if not tarball.is_file() or sys.platform != "linux":
        return "the bundled .NET runtime is for Linux x64 only"
    stamp = SDK_DIR / ".from"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if not (SDK_DIR / "DocumentFormat.OpenXml.dll").is_file() or not stamp.is_file() or stamp.read_text() != digest:
        SDK_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tf:
            tf.extractall(SDK_DIR, filter="fully_trusted")
        stamp.write_text(digest)
    return None


def validate(path: Path) -> list[dict[str, str]]:
    """The SDK's errors for a .docx or .pptx (known-benign findings removed)."""
    kind = path.suffix.lstrip(".").lower()
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1")
    proc = subprocess.run([sys.executable, "-c", _WORKER, str(SDK_DIR), kind, str(path)],
                          capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"the Open XML SDK validator failed: {proc.stderr[-2000:]}")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return [e for e in found if not any(rx.search(e["description"]) and (xp is None or xp.search(e["xpath"] or ""))
                                        for rx, xp in BENIGN)]
