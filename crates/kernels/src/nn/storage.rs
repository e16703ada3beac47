//! Reading a custom candle op's input on the CPU.
use candle_core::{CpuStorage, Error, Layout, Result};

/// The f32 values of a contiguous input; an error naming `op` otherwise.
pub fn contiguous_f32<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&s.as_slice::<f32>()?[a..b]),
        None => Err(Error::Msg(format!("{op} needs contiguous f32 input"))),
    }
}
