package arksave

// nameTable is a read-only open-addressing hash table for name keys. The
// keys are already hashes, so a multiplicative spread and linear probing
// beat the generic map on the hot FName path.
type nameTable struct {
	slots []nameSlot
	shift uint32
}

type nameSlot struct {
	key  uint32
	full bool
	val  string
}

func newNameTable(m map[uint32]string) *nameTable {
	bits := uint32(4)
	for 1<<bits < 2*len(m) {
		bits++
	}
	t := &nameTable{slots: make([]nameSlot, 1<<bits), shift: 32 - bits}
	mask := uint32(len(t.slots) - 1)
	for k, v := range m {
		i := (k * 0x9E3779B1) >> t.shift
		for t.slots[i].full {
			i = (i + 1) & mask
		}
		t.slots[i] = nameSlot{k, true, v}
	}
	return t
}

func (t *nameTable) get(k uint32) (string, bool) {
	mask := uint32(len(t.slots) - 1)
	for i := (k * 0x9E3779B1) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if !s.full {
			return "", false
		}
		if s.key == k {
			return s.val, true
		}
	}
}
