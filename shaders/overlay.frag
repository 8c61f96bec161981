#version 330 core
// One colour; the blend state makes it a multiply (the matte) or a mix by its alpha (lines).
uniform vec4 u_color;
out vec4 frag_color;
void main() { frag_color = u_color; }
