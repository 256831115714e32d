package arksave

import (
	"errors"
	"fmt"
)

// Object is a fully decoded game object record (tooling and tests; the
// domain view in Decode never builds these).
type Object struct {
	GUID          GUID
	Class         string
	Names         []string
	DataFileIndex int32
	Flags         uint8
	Props         []Property
	Refs          []GUID // trailing GUID list (usually the row's own key)
	TailLen       int    // bytes of class-specific native data after Refs
}

// Get returns the first property named name.
func (o *Object) Get(name string) (Value, bool) { return findProp(o.Props, name) }

var errLayout = errors.New("unsupported record layout")

// objHead is the part of a record before its property list.
type objHead struct {
	class    string
	dataFile int32
	flags    uint8
	noProps  bool // record ends before the property list (AnimSequence)
}

// newRowReader prepares a reader for a game row of a save with header h.
func newRowReader(h *Header, data []byte) reader {
	return reader{b: data, names: h.Names, legacy: h.Version < 14}
}

// head reads the record header; names are collected only when keep != nil.
func (r *reader) head(version int, keep *[]string) objHead {
	var h objHead
	key := r.u32()
	if _, ok := r.lookup(key); !ok && r.err == nil {
		// "Lost Colony" layout: uint32, uint64 0, count, FString class, names.
		if r.u64() != 0 {
			r.fail(errLayout)
			return h
		}
		n := r.count(4)
		if n < 1 {
			r.fail(errLayout)
			return h
		}
		h.class = r.str()
		for i := 1; i < n && r.err == nil; i++ {
			s := r.str()
			if keep != nil {
				*keep = append(*keep, s)
			}
		}
		r.i32()
		r.u16()
		return h
	}
	if r.err != nil {
		return h
	}
	r.off -= 4
	h.class, _ = r.name()
	r.i32() // always 0
	n := r.count(4)
	for i := 0; i < n && r.err == nil; i++ {
		var s string
		switch {
		case version >= 13 && keep != nil:
			s = r.str()
		case version >= 13:
			r.skipStr()
		default:
			s = r.nameStr()
		}
		if keep != nil {
			*keep = append(*keep, s)
		}
	}
	h.dataFile = r.i32()
	h.flags = r.u8()
	if version >= 14 {
		if r.left() == 0 {
			h.noProps = true
			return h
		}
		r.u8()
	}
	if r.err == nil && r.left() == 0 {
		h.noProps = true
	}
	return h
}

// DecodeObject fully decodes one game row (key, value) of a save with header h.
func DecodeObject(h *Header, key GUID, data []byte) (*Object, error) {
	r := newRowReader(h, data)
	o := &Object{GUID: key}
	hd := r.head(h.Version, &o.Names)
	o.Class, o.DataFileIndex, o.Flags = hd.class, hd.dataFile, hd.flags
	if r.err != nil {
		return nil, fmt.Errorf("arksave: object %s: header: %w", o.Class, r.err)
	}
	if hd.noProps {
		return o, nil
	}
	o.Props = r.props(true)
	if r.err != nil {
		return nil, fmt.Errorf("arksave: object %s: properties: %w", o.Class, r.err)
	}
	if r.left() >= 4 {
		n := r.count(16)
		for i := 0; i < n && r.err == nil; i++ {
			o.Refs = append(o.Refs, r.guid())
		}
		if r.err != nil {
			return nil, fmt.Errorf("arksave: object %s: guids: %w", o.Class, r.err)
		}
	}
	o.TailLen = r.left()
	return o, nil
}

// validateRow decodes a row completely without building values.
func validateRow(h *Header, tbl *nameTable, data []byte) (class string, unknown int, err error) {
	r := newRowReader(h, data)
	r.tbl = tbl
	hd := r.head(h.Version, nil)
	if r.err == nil && !hd.noProps {
		r.props(false)
		if r.err == nil && r.left() >= 4 {
			r.skip(16 * r.count(16))
		}
	}
	return hd.class, r.unknown, r.err
}
