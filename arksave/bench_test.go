package arksave_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave"
)

// memSource is an in-memory Source so benchmarks measure decoding, not SQLite.
type memSource struct {
	custom map[string][]byte
	keys   []arksave.GUID
	vals   [][]byte
}

func (m *memSource) Custom(_ context.Context, key string) ([]byte, error) {
	b, ok := m.custom[key]
	if !ok {
		return nil, arksave.ErrNotFound
	}
	return b, nil
}

func (m *memSource) ScanGame(ctx context.Context, fn func(arksave.GUID, []byte) error) error {
	for i := range m.keys {
		if err := fn(m.keys[i], m.vals[i]); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func loadMem(tb testing.TB, s sample) (*memSource, int64) {
	f := openSample(tb, s)
	ctx := context.Background()
	m := &memSource{custom: map[string][]byte{}}
	for _, k := range []string{"SaveHeader", "ActorTransforms", "GameModeCustomBytes"} {
		b, err := f.Custom(ctx, k)
		if err != nil {
			tb.Fatal(err)
		}
		m.custom[k] = b
	}
	var total int64
	err := f.ScanGame(ctx, func(k arksave.GUID, v []byte) error {
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, append([]byte(nil), v...))
		total += int64(len(v))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m, total
}

func benchName(s sample) string {
	return strings.TrimSuffix(strings.ReplaceAll(s.path, "/", "_"), filepath.Ext(s.path))
}

// BenchmarkDecode decodes each sample from memory (MB/s over game blobs).
func BenchmarkDecode(b *testing.B) {
	for _, s := range samples {
		b.Run(benchName(s), func(b *testing.B) {
			m, total := loadMem(b, s)
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := arksave.Decode(context.Background(), m, arksave.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(m.keys))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkDecodeSQLite decodes each sample straight from the .ark file.
func BenchmarkDecodeSQLite(b *testing.B) {
	for _, s := range samples {
		b.Run(benchName(s), func(b *testing.B) {
			_, total := loadMem(b, s)
			f := openSample(b, s)
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := arksave.Decode(context.Background(), f, arksave.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.rows)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkRawScanSQLite only reads every game blob: the physical limit.
func BenchmarkRawScanSQLite(b *testing.B) {
	for _, s := range samples {
		b.Run(benchName(s), func(b *testing.B) {
			_, total := loadMem(b, s)
			f := openSample(b, s)
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				var sum int
				err := f.ScanGame(context.Background(), func(_ arksave.GUID, v []byte) error {
					sum += len(v)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFullDecodeObject builds the complete property tree of every row.
func BenchmarkFullDecodeObject(b *testing.B) {
	s := samples[2]
	m, total := loadMem(b, s)
	h, err := arksave.ReadHeader(m.custom["SaveHeader"])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for i := range m.keys {
			if _, err := arksave.DecodeObject(h, m.keys[i], m.vals[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
