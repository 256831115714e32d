package state_test

import "testing"

func BenchmarkSetCursor(b *testing.B) {
	s := MustOpen(b)
	var v uint64
	for b.Loop() {
		v++
		if err := s.SetCursor("chat/1001", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCursor(b *testing.B) {
	s := MustOpen(b)
	if err := s.SetCursor("chat/1001", 1); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := s.Cursor("chat/1001"); err != nil {
			b.Fatal(err)
		}
	}
}
