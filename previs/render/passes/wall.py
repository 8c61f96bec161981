"""The LED wall's state in the renderer: the panels, the grade the processor applies, the inner
frustum and the wall as a light on the set. The geometry pass draws the wall batches with
these (gbuffer.frag's LED_WALL) and the lighting passes sample the light."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LedPanel:
    """An LED cabinet: LEDs per cabinet, the emitting share of the pitch, the off-axis falloff
    exponents (red, green, blue) and the pixel pitch."""

    panel_px: tuple[float, float] = (176.0, 176.0)
    fill_factor: float = 0.3
    falloff_k_rgb: tuple[float, float, float] = (0.4, 0.4, 0.4)
    pitch_mm: float = 2.84


@dataclass(frozen=True)
class WallGrade:
    """An ASC CDL applied to the wall signal, as an LED processor would."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0


@dataclass(frozen=True)
class InnerFrustum:
    """The inner frustum's wall signal, rendered by a camera with ``clip_from_world``."""

    texture: object  # samples as linear signal
    clip_from_world: np.ndarray
    soft_edge: float  # share of the frustum's size blended into the outer content
    show_border: bool
    owned: bool  # uploaded by this renderer (released by it), or another renderer's target

    def release(self) -> None:
        if self.owned:
            self.texture.release()


@dataclass(frozen=True)
class LedLight:
    """The LED surfaces as a light: reflections (octahedral radiance maps, one per mip level,
    in a 3D texture) and diffuse (an irradiance cube)."""

    reflections: object
    diffuse: object
    levels: float

    def release(self) -> None:
        self.reflections.release(), self.diffuse.release()
