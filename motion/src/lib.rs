//! Motion core: canonical 22-joint skeleton (metres, Y up, +Z forward, 20 fps), rotations, forward kinematics, retargeting, model features, GLB/BVH/npy exporters.
