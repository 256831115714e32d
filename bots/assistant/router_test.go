package assistant

import (
	"testing"

	"github.com/blissark/bliss/bots"
)

func TestRouterValidates(t *testing.T) {
	r := New(Deps{Store: bots.NewMemStore()})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(r.Specs()) != 4 {
		t.Fatalf("%d commands", len(r.Specs()))
	}
}
