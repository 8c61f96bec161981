// Stands in for OpenColorIO's generated shader (``vec4 OCIODisplay(vec4)``, its LUT samplers and
// uniforms): previs.render.passes.post compiles post.frag's OCIO variant with OCIO's text here.
#error "OCIO is defined but OpenColorIO's generated shader was not put in (previs/render/ocio.py)"
