//! Host buffers reused by the accelerator instructions, so a MAC or a load on a small tile
//! allocates nothing (host speed only).
//!
//! They hold no machine state between instructions: every user clears or overwrites what it
//! reads before reading it, and a clone of the machine (a debugger snapshot) starts with
//! empty buffers, so nothing can leak from one instruction, or one snapshot, into another.

/// Scratch vectors of the MAC array and DMA paths.
#[derive(Debug, Default)]
pub(crate) struct AccelBufs {
    /// Unpacked weight codes.
    pub wcodes: Vec<u8>,
    /// Unpacked activation codes.
    pub acodes: Vec<u8>,
    /// Packed bytes read from a scratchpad or DRAM.
    pub raw: Vec<u8>,
    /// Decoded weight values.
    pub wvals: Vec<i16>,
    /// Decoded weight values as `i8`, when they all fit (the quad kernel's operand).
    pub w8: Vec<i8>,
    /// Decoded activation values, when they all fit in `i8`.
    pub a8: Vec<i8>,
    /// Decoded activation values otherwise.
    pub a16: Vec<i16>,
    /// The accumulator tile being updated.
    pub acc: Vec<i32>,
    /// The accumulator tile before the update (checked mode only).
    pub acc_in: Vec<i32>,
}

/// Where a machine keeps its [`AccelBufs`]: boxed (a machine, and each of the debugger's
/// snapshots, grows by one pointer) and allocated on first use; a clone starts empty.
#[derive(Debug, Default)]
pub(crate) struct BufSlot(Option<Box<AccelBufs>>);

impl BufSlot {
    /// Take the buffers out for an instruction (so the machine stays borrowable).
    pub fn take(&mut self) -> Box<AccelBufs> {
        self.0.take().unwrap_or_default()
    }

    /// Put them back for the next instruction.
    pub fn put(&mut self, b: Box<AccelBufs>) {
        self.0 = Some(b);
    }
}

impl Clone for BufSlot {
    /// A clone starts empty: the buffers carry nothing from one instruction to the next.
    fn clone(&self) -> BufSlot {
        BufSlot(None)
    }
}
