//! ELF32 little-endian reading and writing of [`crate::image::Image`] (placeholder module;
//! being implemented).
