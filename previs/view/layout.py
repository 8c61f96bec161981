"""Where things go in the window: the side panels, the HUD bar and the picture between them.
Pure arithmetic in window pixels (y down), shared by the window, its drawing and its panels."""

from __future__ import annotations

PANEL_LEFT_PX = 270
PANEL_RIGHT_PX = 290
BAR_PX = 62


def image_rect(fb_size: tuple[int, int], panels: bool, aspect: float) -> tuple[int, int, int, int]:
    """The picture's place in a window of ``fb_size``: (x, y, width, height), y down, as large
    as the space between the panels and above the bar allows at ``aspect``, centred in it."""
    fw, fh = fb_size
    left = PANEL_LEFT_PX if panels else 0
    right = PANEL_RIGHT_PX if panels else 0
    aw, ah = max(16, fw - left - right), max(16, fh - BAR_PX)
    w, h = (aw, aw / aspect) if aw / ah <= aspect else (ah * aspect, ah)
    w, h = int(w), int(h)
    return left + (aw - w) // 2, (ah - h) // 2, w, h
