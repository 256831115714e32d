package bots

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPageRefRoundTrip(t *testing.T) {
	refs := []PageRef{
		{Kind: "players", Query: "", Page: 0},
		{Kind: "tribes", Query: "name:with:colons", Page: 12},
		{Kind: "dinos", Query: "Rex 🦖 ünïcode", Page: 3},
	}
	for _, r := range refs {
		id, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePageRef(id)
		if err != nil || got != r {
			t.Fatalf("round trip %+v -> %q -> %+v, %v", r, id, got, err)
		}
	}
	long := PageRef{Kind: "bases", Query: strings.Repeat("é", 300), Page: 999}
	id, err := long.Encode()
	if err != nil || utf8.RuneCountInString(id) != MaxCustomID {
		t.Fatalf("long query: %d chars, %v", utf8.RuneCountInString(id), err)
	}
	got, err := DecodePageRef(id)
	if err != nil || got.Page != 999 || !strings.HasPrefix(long.Query, got.Query) {
		t.Fatalf("long decode %+v %v", got, err)
	}
	for _, bad := range []PageRef{{Kind: ""}, {Kind: "a:b"}, {Kind: "x", Page: -1}, {Kind: strings.Repeat("k", 99)}} {
		if _, err := bad.Encode(); err == nil {
			t.Errorf("Encode(%+v) accepted", bad)
		}
	}
}

func TestDecodePageRefHostile(t *testing.T) {
	for _, id := range []string{"", "pg", "pg:", "pg:x", "pg:x:q", "pg:x:q:-1", "pg:x:q:abc", "pg::q:1", "zz:x:q:1", "pg:x:q:99999999999999999999", strings.Repeat(":", 500)} {
		if r, err := DecodePageRef(id); err == nil {
			t.Errorf("DecodePageRef(%q) = %+v, want error", id, r)
		}
	}
}

func FuzzDecodePageRef(f *testing.F) {
	f.Add("pg:players:abc:1")
	f.Fuzz(func(t *testing.T, id string) {
		r, err := DecodePageRef(id)
		if err != nil {
			return
		}
		if _, err := r.Encode(); err != nil && utf8.ValidString(id) && len(id) <= MaxCustomID {
			t.Fatalf("decoded %+v does not re-encode: %v", r, err)
		}
	})
}

func TestCustomID(t *testing.T) {
	if id := MustCustomID("setup", "log", "admin"); id != "setup:log:admin" {
		t.Fatal(id)
	}
	if _, err := CustomID("a:b"); err == nil {
		t.Fatal("prefix with colon accepted")
	}
	if _, err := CustomID("x", strings.Repeat("y", 100)); err == nil {
		t.Fatal("long id accepted")
	}
}
