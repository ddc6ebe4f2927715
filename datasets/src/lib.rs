//! Readers for other people's motion formats and corpora: BVH, HumanML3D npy and captions, Bandai Namco labels, KIT-ML captions.
