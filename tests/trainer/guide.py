"""The trainer's guide as test data: its blocks marked ``file=PATH`` are what a trainer adds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

from bot.settings import ROOT

GUIDE = ROOT / "docs" / "trainer-guide.md"
BLOCK = re.compile(r"^```yaml file=(\S+)\n(.*?)^```", re.M | re.S)


def guide_blocks() -> List[Tuple[str, str]]:
    """(path, content) of every file the guide tells the trainer to create, in order."""
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def apply_guide(training_dir: Path) -> List[Path]:
    """Creates the guide's files in ``training_dir``; each must be new, as the guide says."""
    written = []
    for relative, content in guide_blocks():
        target = training_dir / relative
        assert not target.exists(), f"the guide would overwrite {relative}"
        target.write_text(content, encoding="utf-8")
        written.append(target)
    return written
