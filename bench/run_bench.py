"""previs against pyrender 0.1.45 on the bench set, side by side, in one run.

    bash bench/setup_peer.sh && .venv/bin/python bench/run_bench.py

For each configuration (resolution x shadows) the two sides run one after the other, each in a
fresh process, never two at once, ``--runs`` times, interleaved (the side that goes first swaps
every run); the table gives medians. Protocol: shared/bench/README.md. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
PEER_VENV = BENCH / ".venv-pyrender"
SIDES = ("previs", "pyrender")
DEFAULT_CONFIGS = "1920x1080:on,1920x1080:off,1280x720:on,1280x720:off"

sys.path.insert(0, str(BENCH))
import set as bench_set  # noqa: E402


# ---------------------------------------------------------------- configuration
def parse_configs(text: str) -> list[tuple[int, int, bool]]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            res, _, sh = part.partition(":")
            w, h = (int(v) for v in res.lower().split("x"))
            if sh not in ("on", "off", ""):
                raise ValueError
        except ValueError:
            raise SystemExit(f"bad configuration {part!r}: want WIDTHxHEIGHT:on|off") from None
        out.append((w, h, sh != "off"))
    if not out:
        raise SystemExit("no configuration given")
    return out


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------- running one side
def side_command(side: str, args, w: int, h: int, shadows: bool) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if side == "pyrender":
        cmd = [str(args.pyrender_python), str(BENCH / "peer_pyrender.py")]
        env["PYOPENGL_PLATFORM"] = "egl"
    else:
        cmd = [str(args.previs_python), str(BENCH / "previs_side.py")]
    if args.no_shader_cache:
        env["MESA_SHADER_CACHE_DISABLE"] = "true"
    cmd += ["--width", str(w), "--height", str(h), "--shadows", "on" if shadows else "off"]
    cmd += ["--frames", str(args.frames), "--warmup", str(args.warmup)]
    if args.set:
        cmd += ["--set", str(args.set)]
    return cmd, env


def run_side(side: str, args, w: int, h: int, shadows: bool) -> dict:
    cmd, env = side_command(side, args, w, h, shadows)
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        return {"side": side, "error": f"timed out after {args.timeout} s"}
    wall = time.perf_counter() - t
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
        return {"side": side, "error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result = json.loads(lines[-1])
    result["process_wall_s"] = round(wall, 3)
    return result


# ---------------------------------------------------------------- summarising
def median_of(runs: list[dict], key: str) -> float | None:
    vals = [r[key] for r in runs if isinstance(r.get(key), int | float)]
    return statistics.median(vals) if vals else None


def summarise(results: dict) -> list[dict]:
    rows = []
    for cfg in results["configs"]:
        row = {"width": cfg["width"], "height": cfg["height"], "shadows": cfg["shadows"]}
        for side, runs in cfg["runs"].items():
            ok = [r for r in runs if "error" not in r and "skipped" not in r]
            row[side] = {
                "load_s": median_of(ok, "load_to_first_frame_s"),
                "fps": median_of(ok, "steady_fps"),
                "fps_all": [r["steady_fps"] for r in ok],
                "load_all": [r["load_to_first_frame_s"] for r in ok],
                "runs_ok": len(ok),
                "errors": [r["error"] for r in runs if "error" in r],
            }
        pv, pr = row.get("previs"), row.get("pyrender")
        if pv and pr and pv["fps"] and pr["fps"]:
            row["fps_ratio"] = pv["fps"] / pr["fps"]
        if pv and pr and pv["load_s"] and pr["load_s"]:
            row["load_ratio"] = pr["load_s"] / pv["load_s"]
        rows.append(row)
    return rows


def _f(v, fmt: str, unit: str = "") -> str:
    return "—" if v is None else format(v, fmt) + unit


def table_rows(rows: list[dict], sides: list[str]) -> tuple[list[str], list[list[str]]]:
    head = ["resolution", "shadows"]
    for side in sides:
        head += [f"{side} load → 1st frame", f"{side} frames/s"]
    both = len(sides) == 2
    if both:
        head += ["fps previs/pyrender", "load pyrender/previs"]
    body = []
    for row in rows:
        line = [f"{row['width']}×{row['height']}", "on" if row["shadows"] else "off"]
        for side in sides:
            s = row.get(side) or {}
            line += [_f(s.get("load_s"), ".2f", " s"), _f(s.get("fps"), ".2f")]
        if both:
            line += [_f(row.get("fps_ratio"), ".2f", "×"), _f(row.get("load_ratio"), ".2f", "×")]
        body.append(line)
    return head, body


def header_lines(results: dict) -> list[str]:
    m = results["machine"]
    lines = [
        f"date: {results['date']}",
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gib']} GiB; load average at start {m['load_avg_at_start']}",
    ]
    for side in results["sides"]:
        info = results["side_info"].get(side, {})
        lines.append(
            f"{side} {info.get('version', '?')}: GL_RENDERER {info.get('gl_renderer', '?')}"
            f" (GL_VERSION {info.get('gl_version', '?')}), numpy {info.get('numpy', '?')}"
        )
    lines.append(
        f"protocol: median of {results['runs']} run(s), each a fresh process; load → first frame "
        f"= model files read … first colour+depth frame in numpy; frames/s = {results['frames']} "
        f"frames along the camera arc after {results['warmup']} warm-up frames, RGB uint8 + "
        f"float32 depth read back every frame; Mesa shader cache "
        f"{'disabled' if results['no_shader_cache'] else 'as configured'}"
    )
    return lines


def text_table(results: dict, rows: list[dict]) -> str:
    head, body = table_rows(rows, results["sides"])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = header_lines(results) + ["", fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in body]
    out = [line.rstrip() for line in out]
    for row in rows:
        for side in results["sides"]:
            for err in (row.get(side) or {}).get("errors", []):
                out.append(
                    f"! {row['width']}x{row['height']} shadows "
                    f"{'on' if row['shadows'] else 'off'} {side}: {err}"
                )
    return "\n".join(out)


def markdown_table(results: dict, rows: list[dict]) -> str:
    head, body = table_rows(rows, results["sides"])
    out = [f"- {line}" for line in header_lines(results)]
    out += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="fresh processes per side and config (3)")
    p.add_argument("--frames", type=int, default=50, help="timed frames per run (50)")
    p.add_argument("--warmup", type=int, default=3, help="untimed frames before them (3)")
    p.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help=f"WxH:on|off,... (default {DEFAULT_CONFIGS})"
    )
    p.add_argument("--only", choices=SIDES, help="run one side only")
    p.add_argument("--json", dest="json_out", help="write every run and the medians here")
    p.add_argument(
        "--markdown",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write the table as Markdown (to FILE, or stdout)",
    )
    p.add_argument("--set", help="the set file (default: ../shared/bench/previs_set.json)")
    p.add_argument(
        "--previs-python",
        default=sys.executable,
        help="interpreter with previs (default: this one)",
    )
    p.add_argument(
        "--pyrender-python",
        default=str(PEER_VENV / "bin" / "python"),
        help="interpreter with pyrender 0.1.45 (default: bench/.venv-pyrender)",
    )
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per run (1800)")
    p.add_argument(
        "--no-shader-cache",
        action="store_true",
        help="MESA_SHADER_CACHE_DISABLE=true for both sides (cold shader compiles)",
    )
    args = p.parse_args(argv)
    if args.runs < 1 or args.frames < 1 or args.warmup < 0:
        p.error("--runs and --frames must be at least 1, --warmup at least 0")

    reason = bench_set.missing_reason(args.set)
    if reason:
        print(f"benchmark not run: {reason}")
        return 0
    sides = [args.only] if args.only else list(SIDES)
    if "pyrender" in sides and not Path(args.pyrender_python).exists():
        print(
            f"benchmark not run: no pyrender interpreter at {args.pyrender_python}; "
            "run `bash bench/setup_peer.sh` first",
            file=sys.stderr,
        )
        return 2
    configs = parse_configs(args.configs)

    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "set": str(Path(args.set).resolve() if args.set else bench_set.DEFAULT_SET),
        "runs": args.runs,
        "frames": args.frames,
        "warmup": args.warmup,
        "no_shader_cache": args.no_shader_cache,
        "sides": sides,
        "side_info": {},
        "configs": [],
    }
    for w, h, shadows in configs:
        cfg = {"width": w, "height": h, "shadows": shadows, "runs": {s: [] for s in sides}}
        results["configs"].append(cfg)
        for run in range(args.runs):
            order = sides if run % 2 == 0 else sides[::-1]
            for side in order:
                r = run_side(side, args, w, h, shadows)
                cfg["runs"][side].append(r)
                if "skipped" in r:
                    print(f"benchmark not run: {r['skipped']}")
                    return 0
                if "error" not in r:
                    info = results["side_info"].setdefault(side, {})
                    for k in ("version", "gl_renderer", "gl_version", "numpy"):
                        info.setdefault(k, r.get(k))
                    msg = f"load {r['load_to_first_frame_s']:.2f} s, {r['steady_fps']:.2f} frames/s"
                else:
                    msg = r["error"]
                print(
                    f"[{w}x{h} shadows {'on' if shadows else 'off'} run {run + 1}/{args.runs}] "
                    f"{side}: {msg}",
                    file=sys.stderr,
                    flush=True,
                )

    rows = summarise(results)
    results["summary"] = rows
    print(text_table(results, rows))
    if args.markdown:
        md = markdown_table(results, rows)
        if args.markdown == "-":
            print("\n" + md, end="")
        else:
            Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
            Path(args.markdown).write_text(md, encoding="utf-8")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    failed = any(row.get(s, {}).get("runs_ok", 0) == 0 for row in rows for s in sides)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
