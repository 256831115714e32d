package arksave

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxArchiveSize bounds the bytes read by the io.Reader archive decoders.
const MaxArchiveSize = 64 << 20

// ErrArchiveVersion is wrapped when an archive has an unsupported version
// (v5/v6 pre-UE5.5 archives, or anything unknown).
var ErrArchiveVersion = errors.New("unsupported archive version")

// Archive is a decoded .arkprofile/.arktribe (or embedded store blob).
type Archive struct {
	Version int
	Objects []ArchiveObject
}

// ArchiveObject is one object of an archive.
type ArchiveObject struct {
	GUID          GUID
	Class         string
	Names         []string
	DataFileIndex int32
	HasLocation   bool
	Location      [6]float64 // Vector + Rotator when HasLocation
	Props         []Property
}

// Get returns the first top-level property named name.
func (o *ArchiveObject) Get(name string) (Value, bool) { return findProp(o.Props, name) }

// ReadArchive decodes a version 7 archive.
func ReadArchive(data []byte) (*Archive, error) { return readArchive(data, "archive") }

func readArchive(data []byte, what string) (*Archive, error) {
	r := &reader{b: data, archive: true}
	a := &Archive{Version: int(r.i32())}
	if r.err != nil {
		return nil, fmt.Errorf("arksave: %s: %w", what, r.err)
	}
	if a.Version != 7 {
		return nil, fmt.Errorf("arksave: %s: %w %d", what, ErrArchiveVersion, a.Version)
	}
	r.i32() // UE4 version
	r.i32() // UE5 version
	n := r.count(48)
	offs := make([]int32, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		var o ArchiveObject
		o.GUID = r.guid()
		o.Class = r.str()
		r.u32() // IsItem
		nn := r.count(4)
		for j := 0; j < nn && r.err == nil; j++ {
			o.Names = append(o.Names, r.str())
		}
		r.u32() // FromDataFile
		o.DataFileIndex = r.i32()
		if r.u32() != 0 {
			o.HasLocation = true
			for j := range o.Location {
				o.Location[j] = r.f64()
			}
		}
		offs = append(offs, r.i32())
		r.u32()
		a.Objects = append(a.Objects, o)
	}
	if r.err != nil {
		return nil, fmt.Errorf("arksave: %s: object table: %w", what, r.err)
	}
	for i := range a.Objects {
		o := &a.Objects[i]
		if offs[i] < 0 || int(offs[i]) >= len(data) {
			return nil, fmt.Errorf("arksave: %s: object %d: properties offset %d out of range", what, i, offs[i])
		}
		pr := &reader{b: data, off: int(offs[i]), archive: true}
		pr.u8()
		o.Props = pr.props(true)
		if pr.err == nil {
			pr.skip(16 * pr.count(16))
		}
		if pr.err != nil {
			return nil, fmt.Errorf("arksave: %s: object %d (%s): %w", what, i, o.Class, pr.err)
		}
	}
	return a, nil
}

func readAllCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxArchiveSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxArchiveSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxArchiveSize)
	}
	return b, nil
}

// DecodeProfile decodes a .arkprofile (or store profile blob) into a Player.
// LastLogin is left zero: it needs the world's GameTime and save time.
func DecodeProfile(data []byte) (*Player, error) {
	a, err := readArchive(data, "profile")
	if err != nil {
		return nil, err
	}
	return profileFromArchive(a)
}

// DecodeProfileReader reads at most MaxArchiveSize bytes and decodes them.
func DecodeProfileReader(r io.Reader) (*Player, error) {
	b, err := readAllCapped(r)
	if err != nil {
		return nil, fmt.Errorf("arksave: profile: %w", err)
	}
	return DecodeProfile(b)
}

// DecodeTribe decodes a .arktribe (or store tribe blob).
func DecodeTribe(data []byte) (*Tribe, error) {
	a, err := readArchive(data, "tribe")
	if err != nil {
		return nil, err
	}
	return tribeFromArchive(a)
}

// DecodeTribeReader reads at most MaxArchiveSize bytes and decodes them.
func DecodeTribeReader(r io.Reader) (*Tribe, error) {
	b, err := readAllCapped(r)
	if err != nil {
		return nil, fmt.Errorf("arksave: tribe: %w", err)
	}
	return DecodeTribe(b)
}

func profileFromArchive(a *Archive) (*Player, error) {
	for i := range a.Objects {
		o := &a.Objects[i]
		if !strings.Contains(o.Class, "PrimalPlayerData") {
			continue
		}
		my, ok := o.Get("MyData")
		if !ok {
			return nil, errors.New("arksave: profile: no MyData")
		}
		p := &Player{}
		if v, ok := my.Get("PlayerDataID"); ok {
			p.PlayerDataID = uint64(v.Int())
		}
		if v, ok := my.Get("PlayerName"); ok {
			p.PlatformName = v.Str
		}
		if v, ok := findDeep(my.Props, "PlayerCharacterName", 0); ok { // inside MyPlayerCharacterConfig
			p.CharacterName = v.Str
		}
		if v, ok := my.Get("UniqueID"); ok {
			p.EOSID = v.NetID()
		}
		if v, ok := my.Get("TribeID"); ok {
			p.TribeID = v.Int()
		}
		if v, ok := my.Get("LoginTime"); ok {
			p.LoginGameTime = v.Float()
		}
		p.Level = 1
		if v, ok := findDeep(o.Props, "CharacterStatusComponent_ExtraCharacterLevel", 0); ok {
			p.Level += int(v.Int())
		}
		return p, nil
	}
	return nil, errors.New("arksave: profile: no PrimalPlayerData object")
}

func tribeFromArchive(a *Archive) (*Tribe, error) {
	for i := range a.Objects {
		o := &a.Objects[i]
		if !strings.Contains(o.Class, "PrimalTribeData") {
			continue
		}
		td, ok := o.Get("TribeData")
		if !ok {
			return nil, errors.New("arksave: tribe: no TribeData")
		}
		t := &Tribe{}
		if v, ok := td.Get("TribeName"); ok {
			t.Name = v.Str
		}
		if v, ok := td.Get("TribeID"); ok {
			t.ID = v.Int()
		}
		if v, ok := td.Get("OwnerPlayerDataId"); ok {
			t.OwnerID = uint64(v.Int())
		}
		if v, ok := td.Get("MembersPlayerDataID"); ok {
			for _, e := range v.Elems {
				t.MemberIDs = append(t.MemberIDs, uint64(e.Int()))
			}
		}
		if v, ok := td.Get("MembersPlayerName"); ok {
			for _, e := range v.Elems {
				t.Members = append(t.Members, e.Str)
			}
		}
		return t, nil
	}
	return nil, errors.New("arksave: tribe: no PrimalTribeData object")
}

// Store holds the archives embedded in GameModeCustomBytes ("-usestore").
type Store struct {
	// Embedded reports a store (Flags 1); without one the server keeps
	// tribes and profiles in .arktribe/.arkprofile files.
	Embedded bool
	Tribes   [][]byte // archive blobs (sub-slices of the input)
	Profiles [][]byte
}

// ReadStore locates the tribe and profile archives embedded in a
// GameModeCustomBytes blob. A blob without a store (Flags != 1) yields an
// empty Store and no error.
func ReadStore(blob []byte) (*Store, error) {
	r := &reader{b: blob}
	s := &Store{}
	flags := r.i32()
	if r.err != nil || flags != 1 {
		return s, nil
	}
	s.Embedded = true
	tribeRel := r.i32()
	tribeCount := r.i32()
	if r.err != nil {
		return nil, fmt.Errorf("arksave: store: %w", r.err)
	}
	const base = 12
	idx := int64(base) + int64(tribeRel)
	if tribeCount < 0 || idx < base || idx > int64(len(blob)) || int64(tribeCount) > (int64(len(blob))-idx)/16 {
		return nil, fmt.Errorf("arksave: store: bad tribe index (%d tribes at %d)", tribeCount, idx)
	}
	r.off = int(idx)
	for i := 0; i < int(tribeCount); i++ {
		r.u32()
		r.i32()
		off, size := r.i32(), r.i32()
		b, err := sub(blob, int64(base)+int64(off), int64(size))
		if err != nil {
			return nil, fmt.Errorf("arksave: store: tribe %d: %w", i, err)
		}
		s.Tribes = append(s.Tribes, b)
	}
	profRel := r.i32()
	fieldEnd := r.off
	profCount := r.i32()
	profBase := r.off
	if r.err != nil {
		return nil, fmt.Errorf("arksave: store: %w", r.err)
	}
	pidx := int64(fieldEnd) + int64(profRel)
	if profCount < 0 || pidx < 0 || pidx+4 > int64(len(blob)) || int64(profCount) > (int64(len(blob))-pidx-4)/16 {
		return nil, fmt.Errorf("arksave: store: bad profile index (%d profiles at %d)", profCount, pidx)
	}
	r.off = int(pidx) + 4
	for i := 0; i < int(profCount); i++ {
		r.u64()
		off, size := r.i32(), r.i32()
		if size == 0 {
			continue // deleted
		}
		b, err := sub(blob, int64(profBase)+int64(off), int64(size))
		if err != nil {
			return nil, fmt.Errorf("arksave: store: profile %d: %w", i, err)
		}
		s.Profiles = append(s.Profiles, b)
	}
	return s, nil
}

func sub(b []byte, off, size int64) ([]byte, error) {
	if off < 0 || size < 0 || off > int64(len(b)) || size > int64(len(b))-off {
		return nil, fmt.Errorf("blob %d+%d out of range", off, size)
	}
	return b[off : off+size : off+size], nil
}
