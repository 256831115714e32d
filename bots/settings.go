package bots

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SettingKind is what a per-guild setting holds; /setup and /config pick
// the control (role select, channel select, text input) from it.
type SettingKind int

// Setting kinds. The zero value is invalid so a declaration cannot forget it.
const (
	SettingText     SettingKind = iota + 1 // free text
	SettingNumber                          // a decimal number (Min/Max bound it)
	SettingBool                            // "true" / "false"
	SettingDuration                        // a Go duration ("90m", "24h")
	SettingRole                            // one role id
	SettingRoles                           // role ids, comma-separated
	SettingChannel                         // one text channel id
	SettingCategory                        // one category channel id
)

// Setting declares one per-guild setting. Each bot declares its own beside
// its code (Router.Settings); /setup, /config and storage read the
// registry, so a new setting is one declaration.
type Setting struct {
	Key     string // unique across all bots, lowercase snake case: "ap_rate"
	Kind    SettingKind
	Default string // as stored; "" means unset
	Help    string // one line shown by /config
	// Min and Max bound SettingNumber values when Max > Min.
	Min, Max float64
}

// Check validates a value for s (as /config set receives it, already
// resolved from mentions to ids). The empty string clears the setting.
func (s Setting) Check(v string) error {
	if v == "" {
		return nil
	}
	switch s.Kind {
	case SettingText:
		if len(v) > 1000 {
			return fmt.Errorf("%s: at most 1000 bytes", s.Key)
		}
	case SettingNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", s.Key, v)
		}
		if s.Max > s.Min && (f < s.Min || f > s.Max) {
			return fmt.Errorf("%s: %v is outside %v–%v", s.Key, f, s.Min, s.Max)
		}
	case SettingBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%s: want true or false", s.Key)
		}
	case SettingDuration:
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Errorf("%s: %q is not a duration like 90m or 24h", s.Key, v)
		}
	case SettingRole, SettingChannel, SettingCategory:
		if !IsSnowflake(v) {
			return fmt.Errorf("%s: %q is not an id", s.Key, v)
		}
	case SettingRoles:
		for _, id := range strings.Split(v, ",") {
			if !IsSnowflake(id) {
				return fmt.Errorf("%s: %q is not a role id", s.Key, id)
			}
		}
	default:
		return fmt.Errorf("%s: setting has no kind", s.Key)
	}
	return nil
}

// IsSnowflake reports whether v looks like a Discord id.
func IsSnowflake(v string) bool {
	if len(v) < 1 || len(v) > 20 {
		return false
	}
	_, err := strconv.ParseUint(v, 10, 64)
	return err == nil
}

// Settings declares the router's per-guild settings.
func (r *Router) Settings(s ...Setting) *Router {
	for _, st := range s {
		switch {
		case st.Key == "" || len(st.Key) > 64 || strings.ToLower(st.Key) != st.Key || strings.ContainsAny(st.Key, " :"):
			r.errs = append(r.errs, fmt.Errorf("router: bad setting key %q", st.Key))
			continue
		case st.Kind < SettingText || st.Kind > SettingCategory:
			r.errs = append(r.errs, fmt.Errorf("router: setting %q has no kind", st.Key))
			continue
		}
		if err := st.Check(st.Default); err != nil {
			r.errs = append(r.errs, fmt.Errorf("router: setting default: %w", err))
			continue
		}
		for _, have := range r.settings {
			if have.Key == st.Key {
				r.errs = append(r.errs, fmt.Errorf("router: duplicate setting %q", st.Key))
			}
		}
		r.settings = append(r.settings, st)
	}
	return r
}

// DeclaredSettings returns the settings declared with Settings, in order.
func (r *Router) DeclaredSettings() []Setting { return append([]Setting(nil), r.settings...) }

// Value returns the guild's value of s, or s.Default when unset.
func (g GuildSettings) Value(s Setting) string {
	if v, ok := g.Values[s.Key]; ok && v != "" {
		return v
	}
	return s.Default
}

// Number returns a SettingNumber value (the default when unset or bad).
func (g GuildSettings) Number(s Setting) float64 {
	if f, err := strconv.ParseFloat(g.Value(s), 64); err == nil {
		return f
	}
	f, _ := strconv.ParseFloat(s.Default, 64)
	return f
}

// Bool returns a SettingBool value (the default when unset or bad).
func (g GuildSettings) Bool(s Setting) bool {
	b, err := strconv.ParseBool(g.Value(s))
	if err != nil {
		b, _ = strconv.ParseBool(s.Default)
	}
	return b
}

// Duration returns a SettingDuration value (the default when unset or bad).
func (g GuildSettings) Duration(s Setting) time.Duration {
	d, err := time.ParseDuration(g.Value(s))
	if err != nil {
		d, _ = time.ParseDuration(s.Default)
	}
	return d
}

// IDs returns a SettingRoles value as ids.
func (g GuildSettings) IDs(s Setting) []string {
	v := g.Value(s)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
