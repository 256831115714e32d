package species

import "testing"

func TestName(t *testing.T) {
	for class, want := range map[string]string{
		"Para_Character_BP_C": "Parasaur",
		"/Game/PrimalEarth/Dinos/Para/Para_Character_BP.Para_Character_BP_C": "Parasaur",
		"Rex_Character_BP_C":           "Rex",
		"Rex_Character_BP_TEK_C":       "Rex (TEK)",
		"Stag_Character_BP_C":          "Megaloceros",
		"Mystery_Beast_Character_BP_C": "Mystery Beast",
		"Dodo_Character_BP_Aberrant_C": "Dodo (Aberrant)",
		"":                             "",
	} {
		if got := Name(class); got != want {
			t.Errorf("Name(%q) = %q, want %q", class, got, want)
		}
	}
}
