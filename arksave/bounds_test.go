package arksave

import (
	"errors"
	"runtime"
	"testing"
)

// TestWideContainersBounded: a record that declares millions of one-byte
// elements (or tiny properties) must not materialise them. Before the
// maxBuilt cap, a 2 MB row whose MaxHealth was an ArrayProperty of 2M bools
// allocated 1.4 GB (120-byte Values grown by append).
func TestWideContainersBounded(t *testing.T) {
	const n = 2 << 20
	bools := func(w *bld) { w.i32(n); w.b = append(w.b, make([]byte, n)...) }
	cases := map[string]func(w *bld){
		"array of bools": func(w *bld) {
			w.tag14("MaxHealth", T("ArrayProperty", T("BoolProperty")), 0, 0, func() { bools(w) })
		},
		"set of bools": func(w *bld) {
			w.tag14("MaxHealth", T("SetProperty", T("BoolProperty")), 0, 0, func() { w.i32(0); bools(w) })
		},
		"map of bools": func(w *bld) {
			w.tag14("MaxHealth", T("MapProperty", T("BoolProperty"), T("BoolProperty")), 0, 0, func() {
				w.i32(0)
				w.i32(n / 2)
				w.b = append(w.b, make([]byte, n)...)
			})
		},
		"array of empty structs": func(w *bld) {
			w.tag14("MaxHealth", T("ArrayProperty", T("StructProperty", T("Thing", T("/Script/X")))), 0, 0, func() {
				w.i32(n / 8)
				for range n / 8 {
					w.none()
				}
			})
		},
		"struct of many properties": func(w *bld) {
			w.tag14("MaxHealth", T("StructProperty", T("Thing", T("/Script/X"))), 0, 0, func() {
				for range n / 16 {
					w.tag14("B", T("BoolProperty"), 0, 0, func() {})
				}
				w.none()
			})
		},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			w := newBld()
			body(w)
			w.none()
			names := w.names()
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			r := reader{b: w.b, names: names}
			r.walkTop(func(tg *tag) { _ = r.topValue(tg, true).Float() })
			runtime.ReadMemStats(&b)
			got := b.TotalAlloc - a.TotalAlloc
			t.Logf("%d input bytes: %d KiB allocated, err %v", len(w.b), got>>10, r.err)
			if !errors.Is(r.err, errTooMany) {
				t.Errorf("err = %v, want %v", r.err, errTooMany)
			}
			// Total, not live: a property list grows as it is read (one
			// at the cap is ~16 MiB, ~32 MiB with its doublings).
			if got > 48<<20 {
				t.Errorf("allocated %d MiB for %d input bytes", got>>20, len(w.b))
			}
		})
	}
	// Below the cap everything is still built.
	w := newBld()
	w.tag14("A", T("ArrayProperty", T("BoolProperty")), 0, 0, func() { w.i32(int32(maxBuilt - 1)); w.b = append(w.b, make([]byte, maxBuilt-1)...) })
	w.none()
	r := reader{b: w.b, names: w.names()}
	ps := r.props(true)
	if r.err != nil || len(ps) != 1 || len(ps[0].Value.Elems) != maxBuilt-1 {
		t.Fatalf("array at the cap: err %v", r.err)
	}
}
