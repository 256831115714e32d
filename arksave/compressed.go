package arksave

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxInflatedSize caps the output of compressed embedded blobs: the
// declared zlib size and the size after wildcard expansion.
const MaxInflatedSize = 32 << 20

// CompressedBlob is an embedded compressed object blob (cryopods, uploads):
// uint32 version, uint32 inflated size, uint32 names offset, zlib stream.
type CompressedBlob struct {
	Version     uint32
	NamesOffset int
	Data        []byte // inflated and wildcard-expanded bytes
}

var errCompressed = errors.New("bad compressed blob")

// Inflate decodes a compressed embedded blob: zlib, then the wildcard
// expansion. The zlib stream must inflate to exactly the declared size (at
// most MaxInflatedSize) and expand to at most MaxInflatedSize bytes.
//
// Memory: the stream is inflated twice. The first pass checks the sizes and
// counts the expanded bytes without keeping anything; the second expands
// into one buffer allocated at exactly that size, so the only large
// allocation is the result (≤ MaxInflatedSize), and a blob that lies about
// its size costs CPU, never memory.
func Inflate(blob []byte) (*CompressedBlob, error) { return inflate(blob, nil) }

// inflate is Inflate; b, if set, bounds the bytes held by concurrent calls:
// the result's size is acquired before it is allocated, and the caller
// releases it (b.release(len(c.Data))) when done with c.Data.
func inflate(blob []byte, b *budget) (*CompressedBlob, error) {
	if len(blob) < 12 {
		return nil, fmt.Errorf("arksave: compressed: %w: %d bytes", errCompressed, len(blob))
	}
	r := reader{b: blob}
	c := &CompressedBlob{Version: r.u32()}
	size := r.u32()
	c.NamesOffset = int(r.u32())
	if size > MaxInflatedSize {
		return nil, fmt.Errorf("arksave: compressed: %w: inflated size %d", errCompressed, size)
	}
	count := expander{limit: MaxInflatedSize}
	if err := inflateInto(blob[12:], int64(size), &count); err != nil {
		return nil, fmt.Errorf("arksave: compressed: %w", err)
	}
	b.acquire(count.n)
	out := expander{limit: count.n, out: make([]byte, 0, count.n)}
	if err := inflateInto(blob[12:], int64(size), &out); err != nil || len(out.out) != count.n {
		b.release(count.n)
		return nil, fmt.Errorf("arksave: compressed: %w: second pass differs (%v)", errCompressed, err)
	}
	c.Data = out.out
	return c, nil
}

// inflateInto streams the zlib data z through e, checking that it inflates
// to exactly size bytes.
func inflateInto(z []byte, size int64, e *expander) error {
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return err
	}
	defer zr.Close()
	var buf [32 << 10]byte
	var n int64
	for {
		k, rerr := zr.Read(buf[:])
		n += int64(k)
		if n > size {
			return fmt.Errorf("%w: inflates beyond the declared %d bytes", errCompressed, size)
		}
		if err := e.write(buf[:k]); err != nil {
			return err
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if n != size {
		return fmt.Errorf("%w: inflated %d bytes, header says %d", errCompressed, n, size)
	}
	return e.close()
}

// expander applies ARK's byte-level "wildcard" expansion to a stream:
// 0xF0 escapes the next byte, 0xF1 splits the next byte into two 0xF_
// nibble bytes, 0xF2..0xFE emit (b&0x0F) zero bytes, 0xFF b1 b2 emits
// 0,0,0,b1,0,0,0,b2,0,0,0; anything else is copied. With out == nil it
// only counts; otherwise it appends to out, which the caller sized.
type expander struct {
	st    uint8 // 0 plain, 1 after 0xF0, 2 after 0xF1, 3 after 0xFF, 4 after 0xFF b1
	b1    byte
	n     int // bytes produced
	limit int
	out   []byte
}

var zeros [16]byte

func (e *expander) write(in []byte) error {
	for len(in) > 0 {
		if e.st == 0 {
			// fast path: a run of plain bytes is counted/copied at once
			i := 0
			for i < len(in) && in[i] < 0xF0 {
				i++
			}
			if i > 0 {
				if e.n += i; e.n > e.limit {
					return fmt.Errorf("%w: expands beyond %d bytes", errCompressed, e.limit)
				}
				if e.out != nil {
					e.out = append(e.out, in[:i]...)
				}
				in = in[i:]
				continue
			}
		}
		b := in[0]
		in = in[1:]
		switch e.st {
		case 1:
			e.emit(b)
			e.st = 0
		case 2:
			e.emit(0xF0 | b>>4)
			e.emit(0xF0 | b&0x0F)
			e.st = 0
		case 3:
			e.b1, e.st = b, 4
		case 4:
			e.n += 11
			if e.out != nil && e.n <= e.limit {
				e.out = append(e.out, 0, 0, 0, e.b1, 0, 0, 0, b, 0, 0, 0)
			}
			e.st = 0
		default:
			switch {
			case b == 0xF0:
				e.st = 1
			case b == 0xF1:
				e.st = 2
			case b == 0xFF:
				e.st = 3
			case b >= 0xF2:
				k := int(b & 0x0F)
				e.n += k
				if e.out != nil && e.n <= e.limit {
					e.out = append(e.out, zeros[:k]...)
				}
			default:
				e.emit(b)
			}
		}
		if e.n > e.limit {
			return fmt.Errorf("%w: expands beyond %d bytes", errCompressed, e.limit)
		}
	}
	return nil
}

func (e *expander) emit(b byte) {
	e.n++
	if e.out != nil && e.n <= e.limit {
		e.out = append(e.out, b)
	}
}

func (e *expander) close() error {
	switch e.st {
	case 1:
		return fmt.Errorf("%w: dangling escape", errCompressed)
	case 2:
		return fmt.Errorf("%w: dangling switch", errCompressed)
	case 3, 4:
		return fmt.Errorf("%w: truncated 0xFF run", errCompressed)
	}
	return nil
}

// maxInflight bounds the inflated bytes held at once by all workers of one
// Decode: one blob of the largest size, or many small ones.
const maxInflight = MaxInflatedSize

// budget is a counting semaphore of bytes. A nil budget does not limit.
// Holders never wait for anything while holding, so waiting needs no
// cancellation: every holder releases after a bounded amount of work.
type budget struct {
	mu   sync.Mutex
	cond *sync.Cond
	left int
	max  int
}

func newBudget(n int) *budget {
	b := &budget{left: n, max: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire waits until n bytes (at most the whole budget) are free.
func (b *budget) acquire(n int) {
	if b == nil {
		return
	}
	n = min(n, b.max)
	b.mu.Lock()
	for b.left < n {
		b.cond.Wait()
	}
	b.left -= n
	b.mu.Unlock()
}

func (b *budget) release(n int) {
	if b == nil {
		return
	}
	n = min(n, b.max)
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// cryoDinos extracts the dinos of a cryopod item's CustomItemDatas value
// (CustomItemData[].CustomDataBytes.ByteArrays[0].Bytes): tamed ones, the
// number of wild ones (pods can hold wild creatures) and the number of
// non-empty blobs that failed. Empty pods are skipped.
func cryoDinos(v Value, b *budget) (tamed []Dino, wild, failed int) {
	for _, cd := range v.Elems {
		bytesStruct, ok := cd.Get("CustomDataBytes")
		if !ok {
			continue
		}
		arrays, ok := bytesStruct.Get("ByteArrays")
		if !ok || len(arrays.Elems) == 0 {
			continue
		}
		first, ok := arrays.Elems[0].Get("Bytes")
		if !ok || len(first.Raw) == 0 {
			continue
		}
		d, isTamed, err := decodeCryoDino(first.Raw, b)
		switch {
		case err != nil:
			failed++
		case isTamed:
			tamed = append(tamed, d)
		default:
			wild++
		}
	}
	return tamed, wild, failed
}
