package rcon

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	gorcon "github.com/gorcon/rcon"
)

// packet is one decoded RCON packet.
type packet struct {
	ID   int32
	Type int32
	Body string
}

// readPacket reads one Source RCON packet from r. The declared size is checked
// before anything is allocated: bodies over maxBody fail with ErrReplyTooLarge
// and undersized or badly padded packets with ErrProtocol. Decoding itself is
// gorcon's Packet.ReadFrom, fed exactly the declared number of bytes.
func readPacket(r io.Reader, maxBody int) (packet, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return packet{}, fmt.Errorf("read packet: %w", err)
	}
	size := int32(binary.LittleEndian.Uint32(hdr[:]))
	if size < gorcon.MinPacketSize {
		return packet{}, fmt.Errorf("read packet: %w: declared size %d below minimum", ErrProtocol, size)
	}
	if int64(size)-int64(gorcon.MinPacketSize) > int64(maxBody) {
		return packet{}, fmt.Errorf("read packet: %w: declared body %d bytes, limit %d", ErrReplyTooLarge, int64(size)-int64(gorcon.MinPacketSize), maxBody)
	}
	p := new(gorcon.Packet)
	src := io.MultiReader(bytes.NewReader(hdr[:]), io.LimitReader(r, int64(size)))
	if _, err := p.ReadFrom(src); err != nil {
		if err == gorcon.ErrInvalidPacketPadding {
			return packet{}, fmt.Errorf("read packet: %w: %w", ErrProtocol, err)
		}
		return packet{}, fmt.Errorf("read packet: %w", err)
	}
	body := p.Body()
	// ASCIIZ: a NUL inside the body ends the string.
	if i := strings.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	return packet{ID: p.ID, Type: p.Type, Body: body}, nil
}

// encodePacket frames a request with gorcon's encoder.
func encodePacket(typ, id int32, body string) []byte {
	var buf bytes.Buffer
	_, _ = gorcon.NewPacket(typ, id, body).WriteTo(&buf) // bytes.Buffer cannot fail
	return buf.Bytes()
}
