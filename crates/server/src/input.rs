//! Reading what a command is given: a file, or standard input as `-`, bounded.

use std::io::Read;

/// Read a file or standard input (`-`), bounded.
pub fn read_input(file: &str, max: u64) -> Result<String, String> {
    let mut buf = String::new();
    if file == "-" {
        std::io::stdin()
            .take(max + 1)
            .read_to_string(&mut buf)
            .map_err(|e| format!("standard input: {e}"))?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(max + 1).read_to_string(&mut buf))
            .map_err(|e| format!("{file}: {e}"))?;
    }
    if buf.len() as u64 > max {
        return Err(format!("{file}: larger than {max} bytes"));
    }
    Ok(buf)
}
