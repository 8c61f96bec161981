"""``python -m previs.render.check``: can this machine make an offscreen OpenGL context?"""

from __future__ import annotations

import sys

from previs.errors import PrevisError


def main() -> int:
    try:
        from previs.render.context import create_offscreen_context

        ctx = create_offscreen_context()
    except PrevisError as exc:
        print(f"previs: {exc}", file=sys.stderr)
        return 1
    print(f"OpenGL {ctx.info['GL_VERSION']} on {ctx.info['GL_RENDERER']}")
    ctx.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
