//! A reusable list of packets stored back to back.

/// Packets stored back to back in one reusable buffer: clearing keeps the
/// memory, so a steady flow of batches allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct Packets {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Packets {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every packet (keeps the buffers).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// How many packets are held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of all packets together.
    pub fn total_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Appends a copy of `packet`.
    pub fn push(&mut self, packet: &[u8]) {
        self.push_parts(&[packet]);
    }

    /// The packet at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        self.bytes.get(start..end)
    }

    /// The packets, first pushed first.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let packet = self.bytes.get(start..end).unwrap_or_default();
            start = end;
            packet
        })
    }

    /// Appends one packet made of `parts` one after the other, and returns
    /// it for fixing up in place.
    pub(super) fn push_parts(&mut self, parts: &[&[u8]]) -> &mut [u8] {
        let start = self.bytes.len();
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.ends.push(self.bytes.len());
        self.bytes.get_mut(start..).unwrap_or_default()
    }

    /// Keeps only the first `count` packets.
    pub(super) fn truncate(&mut self, count: usize) {
        if count < self.ends.len() {
            let end = count
                .checked_sub(1)
                .and_then(|last| self.ends.get(last))
                .copied()
                .unwrap_or(0);
            self.ends.truncate(count);
            self.bytes.truncate(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_come_back_in_order_and_clear_keeps_capacity() {
        let mut packets = Packets::new();
        assert!(packets.is_empty());
        packets.push(b"first");
        packets.push(b"");
        packets.push(b"third!");
        assert_eq!(packets.len(), 3);
        assert_eq!(packets.total_bytes(), 11);
        let all: Vec<&[u8]> = packets.iter().collect();
        assert_eq!(all, [&b"first"[..], b"", b"third!"]);
        assert_eq!(packets.get(0), Some(&b"first"[..]));
        assert_eq!(packets.get(1), Some(&b""[..]));
        assert_eq!(packets.get(2), Some(&b"third!"[..]));
        assert_eq!(packets.get(3), None);

        let capacity = packets.bytes.capacity();
        packets.clear();
        assert!(packets.is_empty());
        assert_eq!(packets.iter().count(), 0);
        assert_eq!(packets.bytes.capacity(), capacity);
        packets.push(b"again");
        assert_eq!(packets.iter().collect::<Vec<_>>(), [&b"again"[..]]);
    }

    #[test]
    fn push_parts_concatenates_and_truncate_drops_the_tail() {
        let mut packets = Packets::new();
        packets.push(b"keep");
        let made = packets.push_parts(&[b"ab", b"", b"cd"]);
        made[0] = b'A';
        packets.push(b"more");
        assert_eq!(packets.get(1), Some(&b"Abcd"[..]));
        packets.truncate(1);
        assert_eq!(packets.len(), 1);
        assert_eq!(packets.total_bytes(), 4);
        packets.truncate(5);
        assert_eq!(packets.len(), 1);
        packets.truncate(0);
        assert!(packets.is_empty());
        assert_eq!(packets.total_bytes(), 0);
    }
}
