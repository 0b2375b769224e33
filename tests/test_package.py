"""The package's shape: lazy loading, layered imports, no private names across modules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import LETTERS, ROOT

PACKAGE = ROOT / "llm_extract"
HEAVY = ("instructor", "openai", "llm_extract.model.client", "llm_extract.batch", "llm_extract.evaluation",
         "llm_extract.model.local_server")


def _loaded_after(code: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after ``code`` runs in a fresh interpreter."""
    script = f"""
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("instructor", "openai")
                        or m.startswith("llm_extract."))))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    return [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_import_loads_no_model_stack() -> None:
    assert _loaded_after("import llm_extract") == []


def test_rules_only_extract_loads_no_model_stack() -> None:
    code = f"import llm_extract\nllm_extract.extract({str(LETTERS / 'CM16-0213037.pdf')!r}, rules_only=True)"
    assert _loaded_after(code) == []


def test_heavy_names_load_on_first_use() -> None:
    code = "import llm_extract\nllm_extract.extract_batch\nllm_extract.evaluate\nllm_extract.LocalServer"
    loaded = _loaded_after(code)
    assert "llm_extract.batch" in loaded and "llm_extract.evaluation" in loaded
    assert "llm_extract.model.local_server" in loaded


def test_import_layers_hold() -> None:
    """The layered contract in pyproject.toml ([tool.importlinter]) passes."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    out = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


_PRIVATE_IMPORT = re.compile(r"^\s*from\s+\S+\s+import\s+(?:\(\s*)?(?:[\w ,]*,\s*)?_[a-z]\w*", re.M)


def test_no_module_imports_another_modules_private_name() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {m.group(0).strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for m in _PRIVATE_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
