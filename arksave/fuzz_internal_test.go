package arksave

import (
	"runtime"
	"testing"
)

// FuzzPropertyList fuzzes the tagged property-list reader in all modes
// (v14 names, v13 legacy tags, archive FStrings).
func FuzzPropertyList(f *testing.F) {
	w := newBld()
	w.tag14("A", T("ArrayProperty", T("StructProperty", T("Item", T("/Script/X")))), 8, 0, func() {
		w.i32(1)
		w.tag14("M", T("MapProperty", T("NameProperty"), T("SetProperty", T("StrProperty"))), 0, 0, func() {
			w.i32(0)
			w.i32(1)
			w.name("k")
			w.i32(0)
			w.i32(1)
			w.wstr("ü")
		})
		w.none()
	})
	w.tag14("V", vecT, 8, 0, func() { w.f64(1); w.f64(2); w.f64(3) })
	w.none()
	names := w.names()
	f.Add(byte(0), w.b)
	l := newBld()
	l.keys = w.keys
	l.tag13("I", "IntProperty", nil, func() { l.i32(1) })
	l.tag13("AS", "ArrayProperty", func() { l.name("StructProperty") }, func() {
		l.i32(1)
		l.name("AS")
		l.name("StructProperty")
		l.i32(0)
		l.i32(0)
		l.name("E")
		l.b = append(l.b, make([]byte, 16)...)
		l.u8(0)
		l.none()
	})
	l.none()
	names = l.names()
	f.Add(byte(1), l.b)
	a := newBld()
	a.archive = true
	a.tag14("S", T("StrProperty"), 0, 0, func() { a.str("x") })
	a.tag14("O", T("ObjectProperty"), 0, 0, func() { a.i32(1); a.str("/Game/P") })
	a.none()
	f.Add(byte(2), a.b)
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		r := reader{b: data}
		switch mode % 3 {
		case 0:
			r.names = names
		case 1:
			r.names, r.legacy = names, true
		case 2:
			r.archive = true
		}
		ps := r.props(true)
		if r.err == nil && r.off > len(data) {
			t.Fatal("read past end")
		}
		_ = ps
		r2 := reader{b: data, names: r.names, legacy: r.legacy, archive: r.archive}
		r2.props(false)
		if (r.err == nil) != (r2.err == nil) {
			t.Fatalf("build and validate disagree: %v / %v", r.err, r2.err)
		}
	})
}

// FuzzCryopodBlob fuzzes the compressed cryopod decoder (zlib, wildcard
// expansion, object table, property lists).
func FuzzCryopodBlob(f *testing.F) {
	f.Add(buildCryo(nil))
	f.Add(buildCryoLayout(false, true))
	f.Add([]byte{7, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		d, _, err := decodeCryoDino(data, nil)
		runtime.ReadMemStats(&b)
		if err == nil && !d.Cryopodded {
			t.Fatal("decoded dino not marked cryopodded")
		}
		// Total allocations bound every single one (issue 16: none above
		// 64 MiB): the inflated blob (≤ MaxInflatedSize) and what is built
		// from it (≤ maxBuilt values).
		if got := b.TotalAlloc - a.TotalAlloc; got > 64<<20+256*uint64(len(data)) {
			t.Fatalf("allocated %d MiB for %d bytes", got>>20, len(data))
		}
	})
}
