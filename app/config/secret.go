package config

import "github.com/blissark/bliss/app/nitrado"

// Secret holds a token or password: Bliss's one secret type,
// nitrado.Secret (a leaf every package may import). Every way of printing
// it (fmt verbs, slog, JSON, text) shows "[REDACTED]"; only Reveal returns
// the value.
type Secret = nitrado.Secret

// redacted is what error messages show instead of a bad secret value.
const redacted = "[REDACTED]"
