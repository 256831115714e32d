package server

import (
	"strings"
	"testing"
)

// TestSpeciesName: the bot names creatures from the one table
// (arksave/species), capped and sanitized for an embed line.
func TestSpeciesName(t *testing.T) {
	for class, want := range map[string]string{
		"Argent_Character_BP_C":        "Argentavis",
		"Rex_Character_BP_TEK_C":       "Rex (TEK)",
		"Raptor_Character_BP_C":        "Raptor",
		"Mystery_Beast_Character_BP_C": "Mystery Beast",
		"":                             "",
	} {
		if got := speciesName(class); got != want {
			t.Errorf("speciesName(%q) = %q, want %q", class, got, want)
		}
	}
	if got := speciesName(strings.Repeat("Long", 30) + "_Character_BP_C"); len([]rune(got)) > 40 {
		t.Errorf("speciesName of a long class = %q (%d runes), want at most 40", got, len([]rune(got)))
	}
}
