package app

import "github.com/blissark/bliss/app/config"

// networkProbes check the Nitrado token and each server's RCON.
func networkProbes(cfg *config.Config) []probe {
	return nil
}
