//! From a 3D scene to frames: pinhole projection, OpenPose drawing and JSON, A1111/ComfyUI diffusion clients.
