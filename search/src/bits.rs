//! Bit- and byte-level codes shared by the builder and the reader: packed arrays of fixed-width
//! integers, a bit stream with Elias gamma codes for small counts, and LEB128 varints.
//!
//! Bits are numbered from the least significant bit of the first byte on; a value of `w` bits
//! at bit `p` is `w` bits read little-endian from there. Every reader is bounds-checked: past
//! the end it reads zeros, so damaged bytes give wrong numbers, never a panic.

/// Bits needed to write `v`, at least 1.
pub(crate) fn bit_width(v: u64) -> u32 {
    (u64::BITS - v.leading_zeros()).max(1)
}

/// Widest value a single read handles (an unaligned u64 load, shifted by up to 7 bits).
pub(crate) const MAX_WIDTH: u32 = 57;

/// Zero bytes after every bit stream and packed array, so that a read of any value inside is
/// one unaligned u64 load.
pub(crate) const PAD: usize = 8;

/// Bytes of a packed array of `n` values of `w` bits each, padding included.
pub(crate) fn packed_len(n: usize, w: u32) -> usize {
    (n * w as usize).div_ceil(8) + PAD
}

/// `w` bits (at most [`MAX_WIDTH`]) at bit `pos`.
#[inline]
pub(crate) fn read_bits(bytes: &[u8], pos: usize, w: u32) -> u64 {
    let at = pos / 8;
    let word = match bytes.get(at..at + 8) {
        Some(b) => <[u8; 8]>::try_from(b).map_or(0, u64::from_le_bytes),
        None => {
            let mut tail = [0u8; 8];
            let rest = bytes.get(at..).unwrap_or(&[]);
            tail[..rest.len().min(8)].copy_from_slice(&rest[..rest.len().min(8)]);
            u64::from_le_bytes(tail)
        }
    };
    (word >> (pos % 8)) & ((1u64 << w) - 1)
}

/// A packed array: value `i` is `w` bits at bit `i * w`.
#[derive(Clone, Copy)]
pub(crate) struct Packed<'a> {
    pub bytes: &'a [u8],
    pub w: u32,
}

impl Packed<'_> {
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        read_bits(self.bytes, i * self.w as usize, self.w)
    }
}

/// A reader over a bit stream, stopping at `end` (bits).
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    pub pos: usize,
    pub end: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8], pos: usize, end: usize) -> BitReader<'a> {
        BitReader { bytes, pos, end }
    }

    #[cfg(test)]
    pub fn bits(&mut self, w: u32) -> u64 {
        let v = read_bits(self.bytes, self.pos, w);
        self.pos += w as usize;
        v
    }

    /// A count written by [`BitWriter::small`]; `None` if the bits do not hold one (damaged).
    #[inline]
    pub fn small(&mut self) -> Option<u32> {
        let window = read_bits(self.bytes, self.pos, MAX_WIDTH);
        let zeros = window.trailing_zeros();
        if zeros > 28 {
            return None;
        }
        let v = (1u64 << zeros) | ((window >> (zeros + 1)) & ((1u64 << zeros) - 1));
        self.pos += 2 * zeros as usize + 1;
        if self.pos > self.end {
            return None;
        }
        Some(v as u32 - 1)
    }
}

/// Writes a bit stream.
#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    /// Bits written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The low `w` bits of `v`.
    pub fn bits(&mut self, v: u64, w: u32) {
        debug_assert!(w <= MAX_WIDTH && v >> w == 0, "{v} in {w} bits");
        self.bytes.resize((self.len + w as usize).div_ceil(8), 0);
        let (mut v, mut left, mut pos) = (v, w as usize, self.len);
        while left > 0 {
            let off = pos % 8;
            let take = (8 - off).min(left);
            self.bytes[pos / 8] |= ((v & ((1 << take) - 1)) << off) as u8;
            v >>= take;
            pos += take;
            left -= take;
        }
        self.len += w as usize;
    }

    /// A count below 2^28 as the Elias gamma code of `v + 1`: for `v + 1` of `n` bits, `n - 1`
    /// zeros, a one, then its low `n - 1` bits (1 bit for 0, 3 bits for 1 and 2, ...).
    pub fn small(&mut self, v: u32) {
        assert!(v < (1 << 28) - 1, "search index: a count over 2^28");
        let v = u64::from(v) + 1;
        let n = bit_width(v);
        self.bits(1 << (n - 1), n);
        self.bits(v & ((1 << (n - 1)) - 1), n - 1);
    }

    /// The bytes with [`PAD`] zero bytes after them.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.resize(self.len.div_ceil(8) + PAD, 0);
        self.bytes
    }
}

/// A packed array of `values`, each below 2^w.
pub(crate) fn pack(values: impl IntoIterator<Item = u64>, w: u32) -> Vec<u8> {
    let mut out = BitWriter::default();
    for v in values {
        out.bits(v, w);
    }
    out.finish()
}

/// Appends `v` as a LEB128 varint: 7 bits a byte, low bits first, high bit set on all but the
/// last byte.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The varint at `*at`, advancing past it; `None` at the end of `b` or on more than 5 bytes.
#[inline]
pub(crate) fn varint(b: &[u8], at: &mut usize) -> Option<u32> {
    let first = *b.get(*at)?;
    *at += 1;
    if first < 0x80 {
        return Some(u32::from(first));
    }
    let mut v = u32::from(first & 0x7f);
    let mut shift = 7;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u32::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_values_round_trip() {
        for w in [1, 3, 7, 8, 13, 17, 31, 32, 33, 57] {
            let max = (1u64 << w) - 1;
            let values: Vec<u64> = (0..200u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & max)
                .collect();
            let bytes = pack(values.iter().copied(), w);
            assert_eq!(bytes.len(), packed_len(values.len(), w));
            let p = Packed { bytes: &bytes, w };
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(p.get(i), v, "w {w} i {i}");
            }
        }
    }

    #[test]
    fn small_counts_and_bits_round_trip() {
        let mut w = BitWriter::default();
        let values = [0u32, 1, 2, 3, 6, 7, 8, 100, 1000, 65_535, (1 << 28) - 2];
        for &v in &values {
            w.small(v);
            w.bits(u64::from(v) & 0x1f, 5);
        }
        let end = w.len();
        assert_eq!(
            end,
            values
                .iter()
                .map(|&v| 2 * bit_width(u64::from(v) + 1) as usize - 1 + 5)
                .sum::<usize>()
        );
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes, 0, end);
        for &v in &values {
            assert_eq!(r.small(), Some(v));
            assert_eq!(r.bits(5), u64::from(v) & 0x1f);
        }
        assert_eq!(r.pos, end);
        // Zeros are not a count, and a count may not run past the end.
        assert_eq!(BitReader::new(&[0u8; 16], 0, 128).small(), None);
        assert_eq!(BitReader::new(&[0b100u8], 0, 4).small(), None);
    }

    #[test]
    fn varints_round_trip_and_stop_at_the_end() {
        let values = [0u32, 1, 127, 128, 300, 16_383, 16_384, 1 << 21, u32::MAX];
        let mut b = Vec::new();
        for &v in &values {
            put_varint(&mut b, v);
        }
        let mut at = 0;
        for &v in &values {
            assert_eq!(varint(&b, &mut at), Some(v));
        }
        assert_eq!(varint(&b, &mut at), None);
        assert_eq!(varint(&[0x80, 0x80], &mut 0), None);
        assert_eq!(varint(&[0xff; 8], &mut 0), None);
    }
}
