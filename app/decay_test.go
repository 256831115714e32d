package app

import "testing"

func TestDecayMultiplierChoice(t *testing.T) {
	for _, tc := range []struct{ override, nitrado, want float64 }{
		{0, 0, 0},     // neither: the default (1) applies in bases
		{0, 2.5, 2.5}, // the server's Nitrado setting
		{3, 2.5, 3},   // staff override wins
	} {
		if got := decayMultiplier(tc.override, tc.nitrado); got != tc.want {
			t.Errorf("decayMultiplier(%v, %v) = %v, want %v", tc.override, tc.nitrado, got, tc.want)
		}
	}
}
