"""What ``previs info`` says about a scene, as data first: the text table and ``--json`` are two
views of one :func:`scene_summary`, so a pipeline reads the same numbers a person sees."""

from __future__ import annotations

import math

from previs.core import optics
from previs.core.frame import evaluate
from previs.core.scene import Scene
from previs.errors import printable

SUMMARY_FORMAT = "previs-info"
SUMMARY_VERSION = 1


def _rigging(lt) -> dict:
    """A library fixture's rigging (fixture, setting, dimmer, gel), as the scene set it."""
    if lt.fixture is None and lt.gel is None and lt.dimmer_pct == 100.0:
        return {}
    return {
        "fixture": lt.fixture,
        "setting": lt.setting,
        "dimmer_pct": lt.dimmer_pct,
        "gel": lt.gel,
        "beam_angle_deg": lt.beam_angle_deg,
        "field_angle_deg": lt.field_angle_deg,
    }


def _rigging_text(lt: dict) -> str:
    parts = (
        [lt["fixture"] + (f" {lt['setting']}" if lt.get("setting") else "")]
        if lt.get("fixture")
        else []
    )
    if lt.get("dimmer_pct", 100.0) != 100.0:
        parts.append(f"{lt['dimmer_pct']:g} %")
    if lt.get("gel"):
        parts.append(f"gel {lt['gel']}")
    return f"  ({', '.join(parts)})" if parts else ""


def _finite_or_none(x: float) -> float | None:
    return None if math.isinf(x) else float(x)


def _file_meta(piece) -> dict | None:
    """What a USD set piece's file says of itself (up axis, metres per unit, variants ...), as
    written in the file (previs converts to metres, +Y up); None for other pieces."""
    if piece.mesh_path is None or piece.mesh_path.suffix.lower() not in (
        ".usd",
        ".usda",
        ".usdc",
        ".usdz",
    ):
        return None
    from previs.io.meshes import load_asset  # cached: the scene loader read it already

    asset = load_asset(piece.mesh_path, variants=dict(piece.mesh_variants) or None)
    meta = dict(getattr(asset, "source_meta", {}) or {})
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in meta.items()}


def scene_summary(scene: Scene) -> dict:
    """The stage, wall, set, lights, camera and shots of a loaded scene, in JSON types (an
    infinite far depth of field is ``None``)."""
    out: dict = {
        "format": SUMMARY_FORMAT,
        "version": SUMMARY_VERSION,
        "scene": scene.name,
        "scene_file": str(scene.source_path) if scene.source_path else None,
        "format_version": scene.format_version,
        "frame_rate": {
            "num": scene.frame_rate.numerator,
            "den": scene.frame_rate.denominator,
            "fps": float(scene.frame_rate),
        },
    }
    if scene.stage is not None:
        from previs.core.stage import wall_summary

        s = wall_summary(scene.stage)
        p = scene.stage.panel
        out["stage"] = {
            "panel": p.name,
            "pixel_pitch_mm": p.pixel_pitch_mm,
            "panel_size_mm": [p.panel_width_mm, p.panel_height_mm],
            "panel_px": [p.panel_width_px, p.panel_height_px],
            "peak_nits": p.peak_nits,
            "ceiling": scene.stage.ceiling is not None,
            "panels": s["panels"],
            "pixels": s["pixels"],
            "area_m2": s["area_m2"],
            "sections": s["sections"],
        }
        out["stage"]["drive"] = _wall_drive(scene, s)
    else:
        out["stage"] = None
    env = scene.environment
    out["wall_content"] = {
        "gltf": str(env.gltf_path) if env.gltf_path else None,
        "sky": None
        if not env.sky
        else {
            "sun_azimuth_deg": env.sky.sun_azimuth_deg,
            "sun_elevation_deg": env.sky.sun_elevation_deg,
        },
        "brightness_nits": env.wall_brightness_nits,
    }
    out["set"] = [
        {
            "name": piece.name,
            "mesh": str(piece.mesh_path) if piece.mesh_path else None,
            "kind": piece.kind,
            "position_m": [float(v) for v in piece.world_from_local[:3, 3]],
            "file": _file_meta(piece),
        }
        for piece in scene.set_pieces
    ]
    out["lights"] = [
        {
            "name": lt.name,
            "type": lt.type,
            "intensity": lt.intensity,
            "intensity_unit": "lx" if lt.type == "directional" else "cd",
            "kelvin": lt.kelvin,
            "shadows": bool(lt.shadows),
            **_rigging(lt),
        }
        for lt in scene.lights
    ]
    cam = scene.camera
    out["camera"] = {
        "body": cam.body,
        "mode": cam.mode,
        "lens_kit": cam.lens_kit,
        "iso": cam.iso,
        "shutter_angle_deg": cam.shutter_angle_deg,
        "t_stop": cam.t_stop,
        "delivery_aspect": cam.delivery_aspect,
    }
    shots = []
    for shot in scene.shots:
        st = evaluate(scene, shot)
        near, far = optics.dof_limits_m(st.focal_length_mm, st.t_stop, st.mode.coc_mm, st.focus_m)
        shots.append(
            {
                "id": shot.id,
                "scene_number": shot.scene_number,
                "description": shot.description,
                "length_frames": shot.length_frames,
                "focal_length_mm": st.focal_length_mm,
                "hfov_deg": st.hfov_deg,
                "t_stop": st.t_stop,
                "focus_m": st.focus_m,
                "dof_near_m": _finite_or_none(near),
                "dof_far_m": _finite_or_none(far),
            }
        )
    out["shots"] = shots
    out["warnings"] = list(scene.warnings)
    return out


def _wall_drive(scene: Scene, summary: dict) -> dict:
    """The wall side of the light checks: processors for its pixels (per section and in all),
    render nodes for the whole wall at the stage's per-node budget, refresh, scan, genlock and
    the white point against the camera's balance."""
    from previs.core import stage_light as sl
    from previs.core.presets import get_processor

    vol = scene.stage
    proc = get_processor(vol.processor)
    sections = [
        {
            "name": r["name"],
            "pixels": r["pixels"],
            "processors": sl.processors_needed(r["pixels"], proc.capacity_px),
        }
        for r in summary["sections"]
    ]
    w = sl.white_cast(vol.white_xy, scene.camera.white_balance_k)
    return {
        "processor": {
            "id": proc.id,
            "name": proc.name,
            "capacity_px": proc.capacity_px,
            "source": proc.source,
            "confidence": proc.confidence,
            "count": sl.processors_needed(summary["pixels"], proc.capacity_px),
        },
        "sections": sections,
        "render_node_budget_px": vol.render_node_budget_px,
        "render_nodes_whole_wall": sl.render_nodes_needed(
            summary["pixels"], vol.render_node_budget_px
        ),
        "refresh_hz": vol.panel.refresh_hz,
        "scan_ratio": vol.panel.scan_ratio,
        "genlock": vol.genlock,
        "panel_model": vol.panel.model,
        "primaries_xy": [list(p) for p in vol.panel.primaries_xy],
        "white_point": {
            "xy": list(vol.white_xy),
            "kelvin": vol.white_kelvin,
            "cct_k": w.wall_cct_k,
            "duv": w.wall_duv,
            "camera_white_balance_k": w.camera_k,
            "mired_shift": w.mired_shift,
            "verdict": w.verdict,
            "remedy": w.remedy,
        },
    }


def format_summary(d: dict) -> str:
    """The summary as the aligned text ``previs info`` prints (names made terminal-safe)."""
    P = printable
    fr = d["frame_rate"]
    rate = f"{fr['num']}" if fr["den"] == 1 else f"{fr['num']}/{fr['den']}"
    out = [
        f"scene   {P(d['scene'])}  ({P(str(d['scene_file']))})",
        f"rate    {fr['fps']:g} fps ({rate})  format v{d['format_version']}",
    ]
    st = d["stage"]
    if st is not None:
        n_sec = sum(1 for s in st["sections"] if s["kind"] != "ceiling")
        pw, ph = st["panel_size_mm"]
        out.append(
            f"stage   {n_sec} wall section{'s' if n_sec != 1 else ''}"
            f"{' + ceiling' if st['ceiling'] else ''}; panel {P(st['panel'])}: "
            f"{st['pixel_pitch_mm']} mm pitch, {pw:g}x{ph:g} mm, "
            f"{st['panel_px'][0]}x{st['panel_px'][1]} px, {st['peak_nits']:g} nits peak"
        )
        out.append(
            f"        {st['panels']} panels, {st['area_m2']:.1f} m², "
            f"{st['pixels']:,} LED pixels in all"
        )
        for sec in st["sections"]:
            arc = f", {sec['arc_deg']:.1f}° arc" if sec.get("arc_deg") else ""
            out.append(
                f"        {P(sec['name']):<18} {sec['kind']:<8} {sec['columns']} x "
                f"{sec['rows']} panels = {sec['width_px']} x {sec['height_px']} px, "
                f"{sec['width_m']:.2f} x {sec['height_m']:.2f} m{arc}"
            )
        dr = st.get("drive")
        if dr:
            pr = dr["processor"]
            out.append(
                f"drive   {pr['count']} x {P(pr['name'])} ({pr['capacity_px']:,} px each "
                f"[{pr['confidence']}]); {dr['render_nodes_whole_wall']} render nodes for the "
                f"whole wall at {dr['render_node_budget_px']:,} px a node"
            )
            for sec in dr["sections"]:
                out.append(
                    f"        {P(sec['name']):<18} {sec['pixels']:>12,} px  "
                    f"{sec['processors']} processor{'s' if sec['processors'] != 1 else ''}"
                )
            wp = dr["white_point"]
            out.append(
                f"light   refresh {dr['refresh_hz']:g} Hz, 1/{dr['scan_ratio']} scan, "
                f"{'genlocked' if dr['genlock'] else 'not genlocked'}; white "
                f"{wp['cct_k']:.0f} K Δuv {wp['duv']:+.4f} against the camera's "
                f"{wp['camera_white_balance_k']:.0f} K ({wp['mired_shift']:+.0f} mired, {wp['verdict']})"
            )
    wc = d["wall_content"]
    shows = f"glTF {P(wc['gltf'])}" if wc["gltf"] else "no glTF"
    if wc["sky"]:
        shows += (
            f"; sky with sun at az {wc['sky']['sun_azimuth_deg']:g}° "
            f"el {wc['sky']['sun_elevation_deg']:g}°"
        )
    out.append(f"wall    shows {shows}; {wc['brightness_nits']:g} nits")
    out.append(f"set     {len(d['set'])} pieces")
    for piece in d["set"]:
        what = piece["mesh"].rsplit("/", 1)[-1] if piece["mesh"] else piece["kind"]
        pos = ", ".join(f"{v:.2f}" for v in piece["position_m"])
        meta = piece.get("file")
        note = ""
        if meta:
            note = (
                f"  (USD: {meta.get('up_axis', '?')}-up, {meta.get('meters_per_unit', '?'):g} m "
                f"per unit as written)"
            )
        out.append(f"        {P(piece['name']):<18} {P(what):<22} at ({pos}){note}")
    out.append(f"lights  {len(d['lights'])}")
    for lt in d["lights"]:
        col = f"{lt['kelvin']:g} K" if lt["kelvin"] else "rgb"
        out.append(
            f"        {P(lt['name']):<18} {lt['type']:<11} {lt['intensity']:g} "
            f"{lt['intensity_unit']}, {col}, shadows {'on' if lt['shadows'] else 'off'}"
            + _rigging_text(lt)
        )
    c = d["camera"]
    out.append(
        f"camera  {P(c['body'])} / {P(c['mode'])}, {P(c['lens_kit'])}; ISO {c['iso']:g}, "
        f"{c['shutter_angle_deg']:g}°, T{c['t_stop']:g}, delivery {P(str(c['delivery_aspect']))}"
    )
    out.append(f"shots   {len(d['shots'])}")
    for s in d["shots"]:
        far_s = "inf" if s["dof_far_m"] is None else f"{s['dof_far_m']:.2f}"
        out.append(
            f"        {P(s['id']):<5} sc {P(s['scene_number']):<4} {s['focal_length_mm']:>5g} mm  "
            f"HFOV {s['hfov_deg']:5.1f}°  T{s['t_stop']:<4g} focus {s['focus_m']:.2f} m "
            f"(DOF {s['dof_near_m']:.2f}–{far_s} m)  {s['length_frames']} fr  "
            f"{P(s['description'])}"
        )
    return "\n".join(out)
