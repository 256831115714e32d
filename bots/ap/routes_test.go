package ap

import (
	"testing"

	"github.com/blissark/bliss/bots/economy/economytest"
)

// TestStaffSubcommandsAreStaffRoutes: /ap is a command players use, and
// its staff subcommands (the economy's, which bots/economy owns, and AP's
// own staff link|unlink) are Staff routes the router refuses to others
// before they run; the handlers do not check again (the access sweep in
// app drives them end to end).
func TestStaffSubcommandsAreStaffRoutes(t *testing.T) {
	r := New(Deps{})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := economytest.CheckStaffRoutes(r, "ap", "staff link", "staff unlink"); err != nil {
		t.Fatal(err)
	}
}
