package bots

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxCustomID is Discord's limit for a component or modal custom_id.
const MaxCustomID = 100

// CustomID joins a route prefix and arguments with ':' into a custom_id,
// e.g. CustomID("setup", "staff") = "setup:staff". The router dispatches on
// the prefix (the part before the first ':'). It returns an error when the
// result is longer than 100 characters or the prefix contains ':'.
func CustomID(prefix string, args ...string) (string, error) {
	if prefix == "" || strings.Contains(prefix, ":") {
		return "", fmt.Errorf("custom id: bad prefix %q", prefix)
	}
	id := prefix
	for _, a := range args {
		id += ":" + a
	}
	if utf8.RuneCountInString(id) > MaxCustomID {
		return "", fmt.Errorf("custom id: %d chars, max %d", utf8.RuneCountInString(id), MaxCustomID)
	}
	return id, nil
}

// MustCustomID is CustomID for constant arguments known to fit; it panics
// otherwise (programming error, caught by tests).
func MustCustomID(prefix string, args ...string) string {
	id, err := CustomID(prefix, args...)
	if err != nil {
		panic(err)
	}
	return id
}

// splitCustomID returns the route prefix and the rest of a custom_id.
func splitCustomID(id string) (prefix, rest string) {
	prefix, rest, _ = strings.Cut(id, ":")
	return prefix, rest
}

// PagerPrefix is the custom_id prefix of paginator buttons.
const PagerPrefix = "pg"

// PageRef is the state of one paginator page, carried entirely in the
// button's custom_id ("pg:kind:query:page") so the buttons keep working
// after a restart.
type PageRef struct {
	Kind  string // pager name registered on the router; no ':'
	Query string // free text (search term, filter); may contain ':'
	Page  int    // 0-based
}

// Encode returns the custom_id of r. A query too long to fit is shortened
// (rune-safe) so the id is at most 100 characters.
func (r PageRef) Encode() (string, error) {
	if r.Kind == "" || strings.Contains(r.Kind, ":") {
		return "", fmt.Errorf("pager: bad kind %q", r.Kind)
	}
	if r.Page < 0 {
		return "", fmt.Errorf("pager: negative page %d", r.Page)
	}
	head := PagerPrefix + ":" + r.Kind + ":"
	tail := ":" + strconv.Itoa(r.Page)
	room := MaxCustomID - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	if room < 0 {
		return "", fmt.Errorf("pager: kind %q too long", r.Kind)
	}
	q := r.Query
	if utf8.RuneCountInString(q) > room {
		q = string([]rune(q)[:room])
	}
	return head + q + tail, nil
}

var errBadPageRef = errors.New("pager: malformed custom id")

// DecodePageRef parses a paginator custom_id produced by Encode. It never
// panics on hostile input.
func DecodePageRef(id string) (PageRef, error) {
	if len(id) > 4*MaxCustomID {
		return PageRef{}, errBadPageRef
	}
	prefix, rest := splitCustomID(id)
	if prefix != PagerPrefix {
		return PageRef{}, errBadPageRef
	}
	kind, rest, ok := strings.Cut(rest, ":")
	if !ok || kind == "" {
		return PageRef{}, errBadPageRef
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return PageRef{}, errBadPageRef
	}
	page, err := strconv.Atoi(rest[i+1:])
	if err != nil || page < 0 || page > 1_000_000 {
		return PageRef{}, errBadPageRef
	}
	return PageRef{Kind: kind, Query: rest[:i], Page: page}, nil
}
