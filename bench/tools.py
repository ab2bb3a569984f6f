"""Throwaway tool environments, kept out of the project's locked environment.

Each tool gets its own venv under the bench cache directory
(`$MODELGATE_BENCH_CACHE`, else `$XDG_CACHE_HOME/modelgate-bench`, else
`~/.cache/modelgate-bench`), created with `uv venv` + `uv pip install` on first
use and reused afterwards; deleting the directory is always safe. Versions are
pinned so runs stay comparable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TOOLS: dict[str, tuple[str, ...]] = {
    "pyspy": ("py-spy==0.4.1",),
    "chart": ("matplotlib==3.10.7",),
    "litellm": ("litellm[proxy]==1.106.2",),
}


def cache_dir() -> Path:
    """The bench cache directory (created)."""
    explicit = os.environ.get("MODELGATE_BENCH_CACHE")
    if explicit:
        root = Path(explicit)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "modelgate-bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass
class Tool:
    """A ready tool venv, or why it is not available."""

    name: str
    venv: Path
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the venv is usable."""
        return not self.error

    def bin(self, program: str) -> Path:
        """Path of an executable in the venv."""
        return self.venv / "bin" / program


def ensure(name: str, timeout: float = 600) -> Tool:
    """Create (once) and return the venv of tool `name`; never raises."""
    venv = cache_dir() / name
    marker = venv / ".installed"
    wanted = "\n".join(TOOLS[name])
    if marker.is_file() and marker.read_text() == wanted:
        return Tool(name, venv)
    uv = shutil.which("uv")
    if uv is None:
        return Tool(name, venv, "uv not found on PATH")
    try:
        shutil.rmtree(venv, ignore_errors=True)
        python = sys.executable if sys.version_info >= (3, 11) else "python3"
        subprocess.run(
            [uv, "venv", "-q", "--python", _base_python(python), str(venv)],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *TOOLS[name]],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        return Tool(name, venv, f"install failed: {' | '.join(tail)}")
    except subprocess.TimeoutExpired:
        return Tool(name, venv, f"install timed out after {timeout:.0f}s")
    marker.write_text(wanted)
    return Tool(name, venv)


def _base_python(python: str) -> str:
    """The interpreter behind the project venv (tool venvs must not nest in it)."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys._base_executable)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return python
    return out or python


def apt_tool(command: str, package: str) -> str | None:
    """Path of `command`, installing the Debian `package` when missing (root only)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"{command} missing: apt-get install -y {package}", flush=True)
        install = ["apt-get", "install", "-y", "-q", package]
        if subprocess.run(install, check=False, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run(install, check=False, capture_output=True)
        found = shutil.which(command)
    return found


def require_h2load() -> str:
    """Path of h2load, installing Debian's nghttp2-client when missing (root only)."""
    found = apt_tool("h2load", "nghttp2-client")
    if not found:
        raise SystemExit("h2load not found: install Debian's nghttp2-client (scripts/setup does)")
    return found
