package savefile_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

// synthetic writes a small synthetic save and returns its bytes.
func synthetic(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.ark")
	s := arksavetest.Generate(arksavetest.Counts{Seed: 5, Players: 3, Tribes: 1, TamedDinos: 5, Structures: 40})
	if err := arksavetest.Write(p, s, arksavetest.Options{Seed: 5, FillerRows: 200}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openDecode opens and decodes b as a file, returning the first error.
func openDecode(t *testing.T, b []byte) error {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bad.ark")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := savefile.Open(context.Background(), p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = arksave.Decode(context.Background(), f, arksave.Options{Workers: 2})
	return err
}

// TestBadFiles: what an admin is told about files that are not whole saves.
func TestBadFiles(t *testing.T) {
	good := synthetic(t)
	ps := int(binary.BigEndian.Uint16(good[16:]))
	pageSize := func(n uint16) []byte {
		b := append([]byte(nil), good...)
		binary.BigEndian.PutUint16(b[16:], n)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
		text string
	}{
		{"text file", []byte("hello, this is not a save\n"), savefile.ErrNotSQLite, "not an ARK save (not a SQLite database)"},
		{"empty", nil, savefile.ErrNotSQLite, "not an ARK save"},
		{"truncated at a page", good[:len(good)/ps/2*ps], savefile.ErrTruncated, "the file is truncated or not a complete save"},
		{"truncated mid-page", good[:len(good)/2+77], savefile.ErrTruncated, "the file is truncated or not a complete save"},
		{"header only", good[:100], savefile.ErrTruncated, "truncated"},
		{"page size too small", pageSize(uint16(ps / 2)), savefile.ErrCorrupt, "corrupt"},
		{"page size too large", pageSize(uint16(ps * 2)), savefile.ErrCorrupt, "corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := openDecode(t, tc.b)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v (%q)", err, tc.want, tc.text)
			}
			if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "out of range") {
				t.Errorf("storage internals in %q", err)
			}
		})
	}
	if err := openDecode(t, good); err != nil {
		t.Fatalf("good file: %v", err)
	}
}
