fn main() {
    let root = std::path::Path::new("/work/cache/motion-data");
    let cat = motion_datasets::bandai::read_all(root).unwrap();
    let mut ms = vec![];
    for c in cat.clips.iter().step_by(400) {
        let m = motion::retarget::retarget_bvh_clip(&c.bvh_path, Some(0.01)).unwrap();
        println!("{} {:?}", c.name(), motion::quality::clip_quality(&m));
        ms.push(m);
    }
    let refs: Vec<&motion::Motion> = ms.iter().collect();
    motion::contact_sheet::write_contact_sheet(&refs, 6, std::path::Path::new("/tmp/sheet.png")).unwrap();
    motion::convert::save_motion(&ms[0], std::path::Path::new("/tmp/b.glb")).unwrap();
}
