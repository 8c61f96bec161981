#version 330
in vec2 in_pos;
out vec2 v_uv;
void main() {
    v_uv = vec2(in_pos.x * 0.5 + 0.5, 0.5 - in_pos.y * 0.5);  // frame rows run top-down
    gl_Position = vec4(in_pos, 0.0, 1.0);
}
