package savefile_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

// Decode a downloaded world save together with the .arkprofile/.arktribe
// files next to it.
func Example() {
	ctx := context.Background()
	path := "/srv/saves/TheIsland_WP/TheIsland_WP.ark"
	f, err := savefile.Open(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	save, err := arksave.Decode(ctx, f, arksave.Options{Archives: os.DirFS(filepath.Dir(path))})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(save.Map, len(save.Players), len(save.Dinos), len(save.Structures), save.Stats.Failed)
}
