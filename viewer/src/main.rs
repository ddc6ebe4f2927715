//! Viewer for exported GLB animations. The Bevy app lands with the viewer issue; until then this
//! binary only explains itself, so the workspace builds without Bevy.
fn main() {
    eprintln!("viewer: not built yet — open exported .glb files in any glTF viewer (e.g. Blender, three.js editor) meanwhile");
    std::process::exit(2);
}
