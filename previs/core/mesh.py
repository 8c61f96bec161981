"""Plain mesh and material data: what set import (previs.io.meshes) produces and the renderer
draws. numpy arrays and frozen dataclasses only, no GL handles (the renderer keys its GPU cache
on ``Material.key`` and ``TextureImage.key``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class TextureImage:
    """An RGBA8 image, rows bottom-up. ``key`` identifies it for the GPU cache."""

    key: str
    rgba: np.ndarray


@dataclass(frozen=True, eq=False)
class Material:
    """glTF metallic-roughness material. Factors are linear; colour textures are sRGB-encoded."""

    key: str
    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    metallic: float = 0.0
    roughness: float = 0.6
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    base_color_texture: TextureImage | None = None
    metallic_roughness_texture: TextureImage | None = None  # G = roughness, B = metallic
    normal_texture: TextureImage | None = None
    emissive_texture: TextureImage | None = None
    occlusion_texture: TextureImage | None = None  # R = occlusion
    double_sided: bool = False
    alpha_cutoff: float | None = None  # MASK mode; None = opaque
    led_wall: bool = False  # an LED surface: emits the wall content (see Renderer.set_wall_content)


@dataclass(frozen=True, eq=False)
class MeshPart:
    positions: np.ndarray  # (N, 3) float32, asset space
    normals: np.ndarray  # (N, 3) float32
    uvs: np.ndarray  # (N, 2) float32, GL convention (v up)
    colors: np.ndarray  # (N, 4) float32 linear vertex colour (white when none)
    indices: np.ndarray  # (M, 3) uint32
    material: Material


@dataclass(frozen=True, eq=False)
class Asset:
    source: str
    parts: tuple[MeshPart, ...]
    bounds_min: np.ndarray = field(default_factory=lambda: np.zeros(3))
    bounds_max: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @property
    def triangle_count(self) -> int:
        return int(sum(len(p.indices) for p in self.parts))
