//! Writing `.npy` files (through the npyz crate) atomically: the array goes to a temporary
//! file beside the destination, which is renamed into place only when complete, and an
//! existing file that is the program or a source of it is never the target (the caller
//! names files explicitly).

use std::io::Write;
use std::path::Path;

use npyz::WriterBuilder;

fn write_with<T: npyz::AutoSerialize + Copy>(
    path: &str,
    data: &[T],
    shape: &[u64],
) -> Result<(), String> {
    let dest = Path::new(path);
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .ok_or_else(|| format!("{path}: not a file name"))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp)?;
        let mut buf = std::io::BufWriter::new(f);
        {
            let mut w = npyz::WriteOptions::<T>::new()
                .default_dtype()
                .shape(shape)
                .writer(&mut buf)
                .begin_nd()?;
            w.extend(data.iter().copied())?;
            w.finish()?;
        }
        buf.flush()?;
        buf.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{path}: {e}"));
    }
    Ok(())
}

/// Write bytes as a `uint8` array of `shape`.
pub fn write_u8(path: &str, data: &[u8], shape: &[u64]) -> Result<(), String> {
    write_with(path, data, shape)
}

/// Write `int32` values as an array of `shape`.
pub fn write_i32(path: &str, data: &[i32], shape: &[u64]) -> Result<(), String> {
    write_with(path, data, shape)
}
