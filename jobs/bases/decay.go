package bases

import (
	"math"
	"time"
)

const day = 24 * time.Hour

// Materials as arksave.Structure.Material spells them, plus the extra timer
// keys Options.Timers understands.
const (
	Thatch     = "thatch"
	Wood       = "wood"
	Adobe      = "adobe"
	Stone      = "stone"
	Metal      = "metal"
	Greenhouse = "greenhouse"
	Tek        = "tek"
	Other      = "other" // unknown material: timer of "unknown" in §5.4
	DinoTimer  = "dino"  // floor for bases with tamed dinos inside
)

// DefaultTimers returns (a fresh copy of) the PvE "demolish in" base timers at multiplier 1
// (nitrado-rcon-logs.md §5.4): thatch 4 d, wood and adobe 8 d, stone 12 d,
// metal 16 d, tek 20 d on official servers; greenhouse 16 d and unknown 40 d
// from the ASA tool defaults (single source, UNCERTAIN). Vault (16 d) and
// cryofridge (40 d) are not foundations, so they never decide a base's tier.
//
// The dino timer is not in §5.4; 8 d is the official PvE creature decay
// period at PvEDinoDecayPeriodMultiplier 1 (UNCERTAIN). Override per server
// through Options.Timers.
func DefaultTimers() map[string]time.Duration {
	return map[string]time.Duration{
		Thatch:     4 * day,
		Wood:       8 * day,
		Adobe:      8 * day,
		Stone:      12 * day,
		Metal:      16 * day,
		Greenhouse: 16 * day,
		Tek:        20 * day,
		Other:      40 * day,
		DinoTimer:  8 * day,
	}
}

// tierOrder ranks materials from weakest to strongest; it breaks ties between
// equal timers (wood before adobe, metal before greenhouse).
var tierOrder = [...]string{Thatch, Wood, Adobe, Stone, Metal, Greenhouse, Tek}

// tierRank returns the rank of a tier material, or -1 for anything else.
func tierRank(material string) int {
	for i, m := range tierOrder {
		if m == material {
			return i
		}
	}
	return -1
}

// GameToWall converts a time on the world clock (seconds, the same clock as
// Save.GameTime) to wall-clock time: real = savedAt + (t − gameTime)
// (asa-save-format.md §10). It assumes the world clock ran in real time since
// t; server downtime makes results too early. NaN gives savedAt; results are
// clamped to the range of time.Duration.
func GameToWall(savedAt time.Time, gameTime, t float64) time.Time {
	d := (t - gameTime) * float64(time.Second)
	switch {
	case math.IsNaN(d):
		return savedAt
	case d >= math.MaxInt64: // float64(MaxInt64) is 2^63: out of range
		return savedAt.Add(math.MaxInt64)
	case d <= math.MinInt64:
		return savedAt.Add(math.MinInt64)
	}
	return savedAt.Add(time.Duration(d))
}

// timers resolves the effective timer table.
type timers struct {
	tab  map[string]time.Duration
	mult float64
}

func newTimers(over map[string]time.Duration, mult float64) timers {
	tab := DefaultTimers()
	for k, v := range over {
		if v > 0 {
			tab[k] = v
		}
	}
	if mult <= 0 || math.IsNaN(mult) || math.IsInf(mult, 0) {
		mult = 1
	}
	return timers{tab: tab, mult: mult}
}

func (t timers) base(material string) time.Duration {
	if d, ok := t.tab[material]; ok {
		return d
	}
	return t.tab[Other]
}

// Decay computes the decay timer (already scaled by the multiplier) for a
// base whose weakest tier material is tier, with or without tamed dinos in it.
func (t timers) decay(tier string, hasDinos bool) time.Duration {
	d := t.base(tier)
	if hasDinos {
		d = max(d, t.tab[DinoTimer])
	}
	return time.Duration(float64(d) * t.mult)
}
