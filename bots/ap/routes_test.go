package ap

import (
	"testing"

	"github.com/blissark/bliss/bots"
)

// TestStaffSubcommandsAreStaffRoutes: /ap is a command players use, and
// its staff subcommands are Staff routes the router refuses to others
// before they run (the access sweep in app drives them end to end).
func TestStaffSubcommandsAreStaffRoutes(t *testing.T) {
	r := New(Deps{})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	staff := map[string]bool{"give": true, "take": true, "shop add": true, "shop edit": true, "shop remove": true, "staff link": true, "staff unlink": true}
	n := 0
	for _, rt := range r.Routes() {
		if rt.Kind != bots.RouteSubcommand || rt.Name != "ap" {
			continue
		}
		n++
		want := bots.Everyone
		if staff[rt.Sub] {
			want = bots.Staff
		}
		if rt.Access != want || rt.CommandAccess != bots.Everyone {
			t.Errorf("/ap %s: %s (command %s), want %s", rt.Sub, rt.Access, rt.CommandAccess, want)
		}
	}
	if n < len(staff)+3 {
		t.Fatalf("only %d /ap subcommands", n)
	}
}
