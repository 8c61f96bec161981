"""A small copy of the example scene for tests that run whole commands (animatic, batch, farm)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHOT = "3A"


def small_scene(folder: Path, frames: int = 24, name: str = "small") -> Path:
    """The example with one moving shot of ``frames`` frames, its assets by absolute path."""
    scenes = ROOT / "scenes"
    doc = yaml.safe_load((scenes / "led_stage.yaml").read_text())
    doc["environment"]["gltf"] = str(scenes / doc["environment"]["gltf"])
    for piece in doc["set"]:
        if piece.get("path"):
            piece["path"] = str(scenes / piece["path"])
    shot = next(s for s in doc["shots"] if s["id"] == SHOT)
    shot["length_frames"] = frames
    shot["moves"] = [
        {
            "type": "dolly",
            "start_frame": 0,
            "end_frame": frames - 1,
            "distance_m": 0.5,
            "interp": "ease",
        }
    ]
    doc["shots"] = [shot]
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
