"""The renderer's passes, in the order a frame runs them: shadows (maps, when the world or a
light moved), geometry (G-buffer, or forward into wall signal), the wall (the LED surface's
uniforms and the inner frustum's seen tiles), lighting, depth of field, post (FXAA, frame lines,
the draft upscale). Each pass keeps its own small typed state and releases the GPU objects it
made; the frame's size-dependent targets belong to the renderer's target sets."""
