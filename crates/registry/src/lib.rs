//! DKP module distribution over OCI registries: module and release images, channels, push/pull, safe extraction.
