package nitrado

import (
	"fmt"
	"log/slog"
)

// Secret holds a sensitive string such as an RCON password. fmt (every verb)
// and log/slog print it as "[REDACTED]"; call Reveal to get the value.
//
// Secret deliberately has no MarshalJSON: encoding/json writes the real value
// so that a cache can persist it. Do not log JSON-encoded values containing a
// Secret.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String implements fmt.Stringer and always returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer and never reveals the value.
func (s Secret) GoString() string { return `nitrado.Secret("` + redacted + `")` }

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
		_, _ = f.Write([]byte(`"` + redacted + `"`))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
