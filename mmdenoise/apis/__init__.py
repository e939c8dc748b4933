"""Logic behind tools/: fuse, publish and download checkpoints."""
