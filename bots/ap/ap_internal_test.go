package ap

import (
	"strings"
	"testing"
)

func TestFindCode(t *testing.T) {
	for in, want := range map[string]string{
		"my code bl-abc234 thanks": "BL-ABC234", "BL-ABC234": "BL-ABC234", "xBL-ABC234": "", "BL-ABC2345": "",
		"BL-ABC23": "", "BL-ABCDE1 BL-ABC234": "BL-ABC234", "BL-ABCDEF": "BL-ABCDEF", "BL-0OIL11": "", "": "",
	} {
		if got := FindCode(in); got != want {
			t.Errorf("FindCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMultipliers(t *testing.T) {
	m := ParseMultipliers("1001=1.5, 1002=2,bad,0=3,1003=-1,1004=x")
	if len(m) != 2 || m[1001] != 1.5 || m[1002] != 2 {
		t.Fatal(m)
	}
}

func FuzzFindCode(f *testing.F) {
	f.Add("say BL-ABC234 now")
	f.Add("BL-BL-BL-")
	f.Fuzz(func(t *testing.T, s string) {
		c := FindCode(s)
		if c != "" && (len(c) != 9 || !strings.HasPrefix(c, "BL-") || !strings.Contains(strings.ToUpper(s), c)) {
			t.Fatalf("%q → %q", s, c)
		}
	})
}
