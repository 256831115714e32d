package config

import "log/slog"

// Secret holds a token or password. Every way of printing it (fmt verbs,
// slog, JSON) shows "<redacted>"; only Reveal returns the value.
type Secret string

const redacted = "<redacted>"

// Reveal returns the secret's value. Call it only where the value is sent.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (JSON, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
