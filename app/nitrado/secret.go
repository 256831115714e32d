package nitrado

import (
	"fmt"
	"log/slog"
)

// Secret holds a sensitive string: an RCON password, the Nitrado token, a
// Discord bot token. It is Bliss's one secret type (app/config uses it for
// every token it loads); it lives in this leaf so that any package may use
// it. fmt (every verb), log/slog and encoding (JSON, text) print a set
// secret as "[REDACTED]" and an unset one as ""; only Reveal returns the
// value. Code that must persist a secret (the server-details cache) stores
// Reveal() in a plain field of its own record.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret value. Call it only where the value is sent or
// stored on purpose.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String implements fmt.Stringer: "[REDACTED]", or "" when unset.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer and never reveals the value.
func (s Secret) GoString() string { return `nitrado.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter so that no verb (%s, %v, %q, %x, ...)
// prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(s.GoString()))
			return
		}
	case 'q':
		_, _ = f.Write([]byte(`"` + s.String() + `"`))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (JSON and text encoders
// write the redacted form).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
