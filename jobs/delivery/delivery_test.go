package delivery_test

import (
	"strings"
	"testing"

	"github.com/blissark/bliss/jobs/delivery"
)

func TestCommand(t *testing.T) {
	who := delivery.Player{EOSID: "0002AAAAAAAAAAAAAAAAAAAAAAAAAAAA", PlayerID: 42, Name: "Bob\"|DoExit\nKickPlayer x"}
	got, err := delivery.Command(delivery.Payload{Kind: "item", Blueprint: "/Game/X/Y.Y", Quality: 3}, who)
	if err != nil || got != `GiveItemToPlayer 42 "Blueprint'/Game/X/Y.Y'" 1 3 0` {
		t.Fatalf("%q %v", got, err)
	}
	got, err = delivery.Command(delivery.Payload{Kind: "dino", Command: `ScriptCommand spawn {eos} "{name}"`}, who)
	if err != nil || strings.ContainsAny(got, "|\n") || !strings.Contains(got, "0002aaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := delivery.Command(delivery.Payload{Kind: "item", Blueprint: "/Game/X"}, delivery.Player{EOSID: who.EOSID}); err == nil {
		t.Fatal("item without a player id built")
	}
	if _, err := delivery.Command(delivery.Payload{Kind: "desk"}, who); err == nil {
		t.Fatal("desk order built a command")
	}
}
