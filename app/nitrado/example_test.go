package nitrado_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

// Example shows the client against the fake: details for the cache, then a
// streamed save download.
func Example() {
	fake := nitradotest.NewServer(nitradotest.Options{})
	defer fake.Close()
	fake.AddService(nitradotest.Service{ID: 42, Name: "Bliss Island", Map: "TheIsland_WP", RCONPassword: "pw"})
	fake.AddFileBytes(42, "/games/ni42_1/ftproot/arksa/ShooterGame/Saved/SavedArks/TheIsland_WP/TheIsland_WP.ark", []byte("ARK"))

	c, err := nitrado.New(nitrado.Options{Token: fake.Token(), BaseURL: fake.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	d, err := c.ServerDetails(ctx, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Name, d.Map, d.RCONAddr(), d.RCONPassword, d.GamePath)

	dir, err := os.MkdirTemp("", "nitrado-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	n, err := c.DownloadFile(ctx, 42, d.GamePath+"/ShooterGame/Saved/SavedArks/TheIsland_WP/TheIsland_WP.ark", filepath.Join(dir, "TheIsland_WP.ark"))
	fmt.Println(n, err)
	// Output:
	// Bliss Island TheIsland_WP 127.0.0.1:27020 [REDACTED] /games/ni42_1/ftproot/arksa
	// 3 <nil>
}
