#version 330 core
// One flat integer per pickable item (0: an occluder, nothing to pick).
uniform uint u_id;
out uint f_id;
void main() { f_id = u_id; }
