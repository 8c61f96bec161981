"""The README tells the truth: its first code block is the two commands, and its first scene is
the file in scenes/ and loads."""

from __future__ import annotations

import re
from pathlib import Path

from previs.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _blocks(lang: str) -> list[str]:
    return re.findall(
        rf"```{lang}\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S
    )


def test_the_first_code_block_is_the_two_commands():
    first = re.search(r"```\w*\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)[
        1
    ]
    assert first.strip().splitlines() == ["bash run.sh storyboard", "bash run.sh test"]


def test_the_first_scene_is_the_shipped_file_and_loads(capsys):
    (yaml_block,) = _blocks("yaml")
    assert yaml_block == (ROOT / "scenes" / "first_scene.yaml").read_text(encoding="utf-8")
    assert main(["info", str(ROOT / "scenes" / "first_scene.yaml")]) == 0
    out = capsys.readouterr().out
    # 0.5 m cabinets on a 6 m radius each turn 2·asin(0.25 / 6) = 4.78°: 140° holds 29 whole
    # columns (138.5°), 5 m holds 10 rows
    assert "290 panels" in out and "29 x 10 panels" in out and "138.5° arc" in out
    assert "1A" in out and "40 mm" in out
